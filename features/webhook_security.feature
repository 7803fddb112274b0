@security
Feature: Webhook signatures
  The merchant must verify DigitalRiver-Signature and act on nothing it
  cannot verify: a forged, tampered or stale webhook gets a non-2xx answer
  and produces no email.

  Background:
    Given a customer "Bob"
    And Bob has placed an order in USD for:
      | product | quantity | price |
      | Widget  | 1        | 10.00 |

  Scenario: A webhook signed with the wrong secret produces no email
    When Digital River accepts the order with a "wrong-secret" signature
    Then the merchant rejects the "order.accepted" webhook
    And Bob receives no order confirmation email

  Scenario: A webhook without a signature produces no email
    When Digital River accepts the order with a "missing" signature
    Then the merchant rejects the "order.accepted" webhook
    And Bob receives no order confirmation email

  Scenario: A webhook whose body was changed after signing produces no email
    When Digital River accepts the order with a "tampered-body" signature
    Then the merchant rejects the "order.accepted" webhook
    And Bob receives no order confirmation email

  Scenario: A replayed webhook with a stale signature produces no email
    When Digital River accepts the order with a "stale" signature
    Then the merchant rejects the "order.accepted" webhook
    And Bob receives no order confirmation email

  Scenario: During a secret rotation the old secret still verifies
    Given Digital River accepts the order
    And Bob receives an order confirmation email with every required attribute
    When Digital River delivers the "order.accepted" event again while rotating the webhook secret
    Then the merchant accepts that delivery
    And Bob receives exactly 1 order confirmation email
