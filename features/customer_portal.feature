@portal
Feature: Customer portal: invoices, credit memos and saved payment methods
  Digital River makes an invoice PDF when it accepts an order and a credit
  memo when a refund completes. The merchant must give the customer these
  documents through expiring file links, by email and on the order's page in
  its portal, and never expose Digital River's secret-key file URLs. The
  portal also lets a customer save a payment method outside checkout.

  Background:
    Given a customer "Alice"
    And Alice has placed an order in USD with shipping 4.00 (tax 0.32) for:
      | product      | quantity | price | tax rate |
      | Hiking boots | 1        | 89.00 | 0.08     |
    And Digital River accepts the order

  Scenario: The invoice arrives by email and is on the order page
    Then Alice receives an invoice email with every required attribute
    When Alice opens the order page in the portal
    Then the order page links to the invoice
    And no email to Alice and no portal page shows a secret-key file URL

  Scenario: A credit memo follows a refund, by email and on the order page
    When the merchant ships the order with "FedEx" tracking number "Z20100002632653"
    And Digital River refunds 10.00 of the order
    Then Alice receives a credit memo email with every required attribute
    When Alice opens the order page in the portal
    Then the order page links to the credit memo
    And no email to Alice and no portal page shows a secret-key file URL

  Scenario: An expired invoice link is refused
    Then Alice receives an invoice email with every required attribute
    When the document link expires
    Then the document link is refused

  Scenario: An expired invoice link on the order page is refused
    Then Alice receives an invoice email with every required attribute
    When Alice opens the order page in the portal
    Then the order page links to the invoice
    When the document link expires
    Then the document link is refused

  Scenario: Another customer's session does not show the order's documents
    Given a customer "Bob"
    Then Alice receives an invoice email with every required attribute
    And Bob cannot open Alice's order page in the portal

  Scenario: Saving a payment method in the portal, outside checkout
    When Alice saves a card in the portal
    Then the card is saved to Alice's account
