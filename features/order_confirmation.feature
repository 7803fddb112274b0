@order
Feature: Order confirmation
  When Digital River accepts an order, the merchant must email the customer
  an order confirmation listing the order id, each product with its amount,
  the total tax, discount and shipping, and the total amount.

  Background:
    Given a customer "Alice"

  Scenario: Order confirmation arrives with every required attribute
    Given Alice has placed an order in USD with shipping 5.00 (tax 0.40) for:
      | product       | quantity | price | tax rate | discount |
      | Widget        | 2        | 10.00 | 0.0805   | 0.00     |
      | Gadget cable  | 1        | 24.99 | 0.0805   | 3.00     |
    When Digital River accepts the order
    Then Alice receives an order confirmation email with every required attribute
    And Alice receives no shipment email

  Scenario: Order confirmation in euros
    Given Alice has placed an order in EUR for:
      | product     | quantity | price   | tax rate |
      | Espresso maschine | 1  | 1249.00 | 0.19     |
    When Digital River accepts the order
    Then Alice receives an order confirmation email with every required attribute

  Scenario: The same order.accepted delivered twice produces one email
    Given Alice has placed an order in USD for:
      | product | quantity | price |
      | Widget  | 1        | 10.00 |
    When Digital River accepts the order
    And Alice receives an order confirmation email with every required attribute
    And Digital River delivers the "order.accepted" event again
    Then Alice receives exactly 1 order confirmation email
