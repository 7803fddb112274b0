@lifecycle
Feature: Order lifecycle notifications
  After an order is accepted the merchant ships it, cancels some or all of
  it, reports delays, refunds it and takes returns. Each step owes the
  customer an email with the facts of that step.

  Background:
    Given a customer "Alice"
    And Alice has placed an order in USD with shipping 4.00 (tax 0.32) for:
      | product       | quantity | price | tax rate |
      | Trail lantern | 2        | 15.00 | 0.08     |
      | Camp stove    | 1        | 49.00 | 0.08     |
    And Digital River accepts the order
    And Alice receives an order confirmation email with every required attribute

  Scenario: Shipment of every item
    When the merchant ships the order with "FedEx" tracking number "Z10100002632653"
    Then Alice receives a shipment email with every required attribute
    And the order is complete

  Scenario: A split shipment sends one email per parcel, each with only its items
    When the merchant ships 2 "Trail lantern" with "UPS" tracking number "1Z999AA10123456784"
    And the merchant ships 1 "Camp stove" with "DHL" tracking number "JD014600003828"
    Then Alice receives 2 shipment emails with every required attribute

  Scenario: A shipment of part of a line shows the units shipped
    When the merchant ships 1 "Trail lantern" with "UPS" tracking number "1Z999AA10123456785"
    Then Alice receives a shipment email with every required attribute
    And the order is accepted

  Scenario: Partial cancellation
    When the merchant cancels 1 "Trail lantern"
    Then Alice receives a partial cancellation email with every required attribute
    And the order is accepted

  Scenario: Full cancellation sends one email
    When the merchant cancels the rest of the order
    Then Alice receives a cancellation email with every required attribute
    And Alice receives exactly 1 cancellation email
    And the order is cancelled
    And Alice receives no refund confirmation email

  Scenario: A cancellation asked for after shipment fails, and the customer is told
    When the merchant ships the order with "FedEx" tracking number "Z10100002632654"
    And Alice receives a shipment email with every required attribute
    And Alice asks to cancel the order
    Then Alice receives a failed cancellation email with every required attribute

  Scenario: First and second delayed shipment notices
    When the merchant reports the shipment delayed until "2026-12-22"
    Then Alice receives a delayed shipment email with every required attribute
    When the merchant reports the shipment delayed until "2027-01-05"
    Then Alice receives a second delay notice email with every required attribute

  Scenario: Full refund
    When the merchant ships the order with "FedEx" tracking number "Z10100002632655"
    And Digital River refunds the rest of the order
    Then Alice receives a refund confirmation email with every required attribute
    And Alice receives exactly 1 refund confirmation email

  Scenario: Partial refund
    When the merchant ships the order with "FedEx" tracking number "Z10100002632656"
    And Digital River refunds 5.00 of the order
    Then Alice receives a refund confirmation email with every required attribute
    And Alice receives exactly 1 refund confirmation email

  Scenario: Two partial refunds, each confirmed with its own amount and the refunded total
    When the merchant ships the order with "FedEx" tracking number "Z10100002632658"
    And Digital River refunds 5.00 of the order
    Then Alice receives a refund confirmation email with every required attribute
    When Digital River refunds 7.50 of the order
    Then Alice receives a refund confirmation email with every required attribute

  Scenario: Return instructions after a return request
    When the merchant ships the order with "FedEx" tracking number "Z10100002632657"
    And Alice asks to return 1 "Trail lantern"
    Then Alice receives a return instructions email with every required attribute
