@payment
Feature: Orders paid without a card
  Customers pay with PayPal or by wire transfer too. Their orders carry no
  creditCard, and a wire transfer's order waits for the customer's funds
  before Digital River accepts it (its refunds wait for the customer's bank
  details: refund.pending_information); every notification must still arrive.

  Background:
    Given a customer "Alice"

  Scenario: An order paid with PayPal gets its confirmation and shipment emails
    Given Alice pays with PayPal
    And Alice has placed an order in USD with shipping 5.00 (tax 0.40) for:
      | product | quantity | price | tax rate |
      | Widget  | 2        | 10.00 | 0.0805   |
    When Digital River accepts the order
    Then Alice receives an order confirmation email with every required attribute
    When the merchant ships the order with "UPS" tracking number "1Z999AA10123456784"
    Then Alice receives a shipment email with every required attribute

  Scenario: An order paid by wire transfer is confirmed once the funds arrive, and refunded
    Given Alice pays by wire transfer
    And Alice has placed an order in EUR for:
      | product      | quantity | price  | tax rate |
      | Trail lantern | 1       | 149.00 | 0.19     |
    Then the order is pending_payment
    And Alice receives no order confirmation email
    When Alice's wire transfer arrives
    Then the order is accepted
    And Alice receives an order confirmation email with every required attribute
    When the merchant ships the order with "DHL" tracking number "JD014600006281230701"
    Then Alice receives a shipment email with every required attribute
    When Digital River refunds 20.00 of the order
    Then Alice receives a refund confirmation email with every required attribute

  Scenario: An order paid by wire transfer is cancelled when the funds never arrive
    Given Alice pays by wire transfer
    And Alice has placed an order in USD for:
      | product | quantity | price | tax rate |
      | Widget  | 2        | 10.00 | 0.0805   |
    When Alice's wire transfer never arrives
    Then the order is cancelled
    And Alice receives a cancellation email with every required attribute
    And Alice receives no order confirmation email
