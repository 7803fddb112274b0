@subscriptions
Feature: Subscription notifications
  Digital River runs subscriptions on its own schedule: reminders, renewals,
  trial conversions and dunning. The merchant owes the customer an email at
  each step. The virtual clock makes a year pass in milliseconds.

  Background:
    Given a customer "Alice"
    And a monthly plan "Gold" with reminders 7 days before billing and 8 days to collect

  Scenario: Acquisition confirmation
    Given Alice has subscribed in USD to the "Gold" plan with:
      | product   | quantity | price | tax rate |
      | Music box | 1        | 9.99  | 0.08     |
    When Digital River accepts the order
    Then Alice receives a subscription acquisition email with every required attribute
    And the subscription is now active
    And Alice receives no subscription cancelled email

  Scenario: Renewal reminder and renewal confirmation
    Given Alice has subscribed in USD to the "Gold" plan with:
      | product   | quantity | price | tax rate |
      | Music box | 2        | 9.99  | 0.08     |
    And Digital River accepts the order
    When the subscription's next reminder date arrives
    Then Alice receives a renewal reminder email with every required attribute
    And Alice receives no renewal confirmation email
    And Alice receives no payment method expiration email
    When the subscription's next invoice date arrives
    Then Alice receives a renewal confirmation email with every required attribute

  Scenario: Trial conversion
    Given Alice has started a free trial in USD of the "Gold" plan with:
      | product   | quantity | price | tax rate |
      | Music box | 1        | 9.99  | 0.08     |
    And Digital River accepts the order
    And the subscription is now activeFree
    When the subscription's next invoice date arrives
    Then Alice receives a trial conversion email with every required attribute
    And the subscription is now active

  Scenario: A free trial the merchant never prices stays free
    Given Alice has started a free trial in USD of the "Gold" plan with:
      | product   | quantity | price | tax rate |
      | Music box | 1        | 0.00  | 0.08     |
    And Digital River accepts the order
    And the subscription is now activeFree
    When the subscription's next invoice date arrives
    Then the subscription is now activeFree
    And Alice receives no trial conversion email

  Scenario: A year of monthly renewals
    Given Alice has subscribed in USD to the "Gold" plan with:
      | product   | quantity | price | tax rate |
      | Music box | 1        | 9.99  | 0.08     |
    And Digital River accepts the order
    When 12 renewals pass
    Then Alice receives 12 renewal reminder emails with every required attribute
    And Alice receives 12 renewal confirmation emails with every required attribute

  Scenario: Subscription cancelled
    Given Alice has subscribed in USD to the "Gold" plan with:
      | product   | quantity | price | tax rate |
      | Music box | 1        | 9.99  | 0.08     |
    And Digital River accepts the order
    When the merchant cancels the subscription
    Then Alice receives a subscription cancelled email with every required attribute
    And the subscription is now cancelled

  Scenario: Updated terms offer cancellation
    Given a monthly plan "Platinum" with reminders 7 days before billing
    And Alice has subscribed in USD to the "Gold" plan with:
      | product   | quantity | price | tax rate |
      | Music box | 1        | 9.99  | 0.08     |
    And Digital River accepts the order
    When the merchant moves the subscription to the "Platinum" plan
    Then Alice receives an updated terms email with every required attribute

  Scenario: A price change is announced as updated terms
    Given Alice has subscribed in USD to the "Gold" plan with:
      | product   | quantity | price | tax rate |
      | Music box | 1        | 9.99  | 0.08     |
    And Digital River accepts the order
    When the subscription's price changes to 12.99
    Then Alice receives an updated terms email with every required attribute

  Scenario: Dunning that ends in failure
    Given Alice has subscribed in USD to the "Gold" plan with:
      | product   | quantity | price | tax rate |
      | Music box | 1        | 9.99  | 0.08     |
    And Digital River accepts the order
    And Alice's card declines from now on
    When the subscription's next invoice date arrives
    Then Alice receives a billing failed email with every required attribute
    When 8 days pass
    Then Alice receives 3 billing failed emails with every required attribute
    And Alice receives a subscription failed email with every required attribute
    And the subscription is now failed

  Scenario: Dunning rescued by a new card saved in the portal
    Given Alice has subscribed in USD to the "Gold" plan with:
      | product   | quantity | price | tax rate |
      | Music box | 1        | 9.99  | 0.08     |
    And Digital River accepts the order
    And Alice's card declines from now on
    When the subscription's next invoice date arrives
    Then Alice receives a billing failed email with every required attribute
    When Alice saves a new card in the portal for the subscription
    Then Alice receives a renewal confirmation email with every required attribute
    And the subscription is now active

  Scenario: Payment method expiration
    Given Alice pays with a card that expires this month
    And Alice has subscribed in USD to the "Gold" plan with:
      | product   | quantity | price | tax rate |
      | Music box | 1        | 9.99  | 0.08     |
    And Digital River accepts the order
    When the subscription's next reminder date arrives
    Then Alice receives a payment method expiration email with every required attribute

  Scenario: A free trial converts, then the card expires
    Given Alice has started a free trial in USD of the "Gold" plan with:
      | product   | quantity | price | tax rate |
      | Music box | 1        | 9.99  | 0.08     |
    And Digital River accepts the order
    When the subscription's next invoice date arrives
    Then Alice receives a trial conversion email with every required attribute
    And the subscription is now active
    Given Alice's card expires before the next invoice
    When the subscription's next reminder date arrives
    Then Alice receives a payment method expiration email with every required attribute
    When the subscription's next invoice date arrives
    Then the subscription is now active
    When 8 days pass
    Then the subscription is now lapsed
