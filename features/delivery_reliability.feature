@reliability
Feature: Webhook delivery reliability
  Digital River delivers each event at least once, possibly twice at the
  same time, in no promised order, and retries when the merchant does not
  acknowledge in time. Whatever happens on the way, the customer gets each
  email once, with the right content.

  Background:
    Given a customer "Carol"
    And Carol has placed an order in USD for:
      | product      | quantity | price | tax rate |
      | Rain jacket  | 1        | 79.00 | 0.08     |
      | Wool socks   | 2        | 12.50 | 0.08     |

  Scenario: The merchant acknowledges a webhook within Digital River's timeout
    When Digital River accepts the order
    Then the merchant acknowledges the "order.accepted" webhook the first time
    And Carol receives an order confirmation email with every required attribute

  Scenario: Two copies delivered at once produce one email
    When Digital River accepts the order and delivers the webhook twice at once
    Then Carol receives an order confirmation email with every required attribute
    And Carol receives exactly 1 order confirmation email

  Scenario: Events delivered in reverse order still produce correct emails
    Given Digital River holds the webhooks about the order
    When Digital River accepts the order
    And the merchant ships the order with "FedEx" tracking number "Z30100002632653"
    And Digital River releases the held webhooks in reverse order
    Then Carol receives a shipment email with every required attribute
    And Carol receives an order confirmation email with every required attribute

  Scenario: A merchant down for three attempts gets the event once it is back
    When Digital River accepts the order while the merchant answers 503 to the first 3 deliveries
    Then Digital River retried the "order.accepted" webhook after 3 failures until it was delivered
    And Carol receives an order confirmation email with every required attribute
    And Carol receives exactly 1 order confirmation email

  Scenario: A merchant slower than the timeout sees the retry, and sends one email
    When Digital River accepts the order and gets no answer in time to the first delivery
    Then Digital River retried the "order.accepted" webhook after 1 failure until it was delivered
    And Carol receives exactly 1 order confirmation email
