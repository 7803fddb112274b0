package catalogue_test

import (
	"testing"

	"github.com/drsim/drsim/harness/catalogue"
)

// The shipped catalogue names a notification in a subject in the languages
// its wording takes, by its English pattern or its subjectWords; a subject
// that only offers or announces it (cancel anytime, renews soon, will be
// renewed) does not name it.
func TestShippedSubjectWords(t *testing.T) {
	c := shipped(t)
	for _, tc := range []struct {
		id, subject string
		named       bool
	}{
		{"subscription-cancelled", "Your subscription was cancelled", true},
		{"subscription-cancelled", "Your membership has been cancelled", true},
		{"subscription-cancelled", "【さくら雑貨】定期便の解約が完了しました", true},
		{"subscription-cancelled", "Kündigungsbestätigung für Ihr Abo", true},
		{"subscription-cancelled", "Ihr Abo wurde gekündigt", true},
		{"subscription-cancelled", "Votre abonnement a été RÉSILIÉ", true},
		{"subscription-cancelled", "Suscripción cancelada", true},
		{"subscription-cancelled", "Abonnement opgezegd", true},
		{"subscription-cancelled", "Подписка отменена", true},
		{"subscription-cancelled", "订阅已取消", true},
		{"subscription-cancelled", "구독이 해지되었습니다", true},
		{"subscription-cancelled", "Welcome to Gold: cancel anytime", false},
		{"subscription-cancelled", "Willkommen! Kündigung jederzeit möglich", false},
		{"subscription-cancelled", "Résiliation possible à tout moment", false},
		{"subscription-cancelled", "【さくら雑貨】定期便のお申し込みが完了しました（いつでも解約できます）", false},
		{"renewal-confirmation", "Your subscription renewed", true},
		{"renewal-confirmation", "【さくら雑貨】定期便「Gold」を更新しました", true},
		{"renewal-confirmation", "Ihr Abo wurde verlängert", true},
		{"renewal-confirmation", "Votre abonnement a été renouvelé", true},
		{"renewal-confirmation", "Il tuo abbonamento è stato rinnovato", true},
		{"renewal-confirmation", "Heads up: Gold renews on 9 January", false},
		{"renewal-confirmation", "【さくら雑貨】定期便「Gold」更新のお知らせ", false},
		{"renewal-confirmation", "Am 9. Januar verlängert sich Ihr Abo", false},
		{"renewal-confirmation", "Ihr Abo wird am 9. Januar verlängert", false},
		{"renewal-confirmation", "Votre abonnement sera renouvelé le 9 janvier", false},
		{"renewal-confirmation", "Je abonnement wordt op 9 januari verlengd", false},
		{"shipment", "Ihr Paket ist unterwegs", true},
		{"shipment", "【さくら雑貨】商品を発送しました（注文番号 1）", true},
		{"shipment", "Votre commande a été expédiée", true},
		{"shipment", "Your parcel is on its way", true},
		{"shipment", "Thank you for your order", false},
		{"order-confirmation", "Bestellbestätigung 1001", true},
		{"order-confirmation", "Potwierdzenie zamówienia 1001", true},
		{"order-confirmation", "Order confirmation 1001", true},
		{"order-confirmation", "【さくら雑貨】ご注文ありがとうございます", false},
		{"refund-confirmation", "【さくら雑貨】返金手続きが完了しました", true},
		{"refund-confirmation", "Rückzahlung zu Bestellung 1001", true},
		{"refund-confirmation", "Bestellung 1001 storniert", false},
		{"trial-conversion", "Ihre Testphase ist vorbei", true},
		{"trial-conversion", "【さくら雑貨】無料お試し期間が終了しました", true},
		{"payment-method-expiration", "Ihre Karte läuft ab", true},
		{"payment-method-expiration", "【さくら雑貨】ご登録のクレジットカードの有効期限が近づいています", true},
		{"cancellation", "Bestellung 1001 storniert", true},
		{"cancellation", "【さくら雑貨】ご注文をキャンセルしました（注文番号 1001）", true},
		{"cancellation", "【さくら雑貨】ご注文のキャンセルを承れませんでした（注文番号 1001）", false},
		{"cancellation", "Order 1001 cancelled", true},
		{"partial-cancellation", "【さくら雑貨】ご注文の一部をキャンセルしました（注文番号 1001）", true},
		{"partial-cancellation", "Teilstornierung Ihrer Bestellung 1001", true},
		{"partial-cancellation", "Bestellung 1001 storniert", false},
		{"renewal-reminder", "【さくら雑貨】定期便「Gold」更新のお知らせ", true},
		{"renewal-reminder", "Am 9. Januar verlängert sich Ihr Abo", true},
		{"renewal-reminder", "Votre abonnement sera renouvelé le 9 janvier", true},
		{"renewal-reminder", "Ihr Abo wurde verlängert", false},
		{"renewal-reminder", "【さくら雑貨】定期便「Gold」を更新しました", false},
		{"subscription-failed", "【さくら雑貨】定期便が終了しました", true},
		{"subscription-failed", "Your membership has ended", true},
		{"subscription-failed", "【さくら雑貨】無料お試し期間が終了しました", false},
		{"subscription-failed", "Płatność zakończona sukcesem", false},
		{"billing-failed", "【さくら雑貨】定期便のお支払いができませんでした", true},
		{"billing-failed", "Zahlung fehlgeschlagen", true},
		{"updated-terms", "【さくら雑貨】定期便のご契約内容変更のお知らせ", true},
		{"updated-terms", "Nouvelles conditions de votre abonnement", true},
		{"subscription-acquisition", "【さくら雑貨】定期便のお申し込みが完了しました", true},
		{"subscription-acquisition", "Ihr Abo ist aktiv", true},
		{"subscription-acquisition", "【さくら雑貨】ご注文ありがとうございます", false},
	} {
		n, err := c.Get(tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if word, named := n.Named(tc.subject); named != tc.named {
			t.Errorf("%s.Named(%q) = %q, %v; want %v", tc.id, tc.subject, word, named, tc.named)
		}
	}
}

// An order confirmation that says the order awaits its payment is the wire
// transfer's awaiting-payment email, in any of the catalogue's languages,
// in its subject or its text; a confirmation of a paid order is not.
func TestShippedOrderConfirmationNotWords(t *testing.T) {
	n := shippedNotification(t, "order-confirmation")
	for _, tc := range []struct {
		email      catalogue.Email
		disclaimed bool
	}{
		{catalogue.Email{Subject: "Order confirmation 1001 – awaiting payment"}, true},
		{catalogue.Email{Subject: "Bestellbestätigung 1001", Body: "Wir versenden nach Zahlungseingang."}, true},
		{catalogue.Email{Subject: "Confirmation de commande", Body: "Commande en attente de paiement."}, true},
		{catalogue.Email{Subject: "ご注文確認", Body: "お振込先：さくら銀行"}, true},
		{catalogue.Email{Subject: "订单确认", Body: "等待付款"}, true},
		// Only the customer-facing HTML part shows it.
		{catalogue.Email{Subject: "Order confirmation", Body: "Order 1001", Shown: "Order 1001 is awaiting your payment."}, true},
		{catalogue.Email{Subject: "Order confirmation 1001", Body: "Paid with your card ending 4242. Thank you!"}, false},
		{catalogue.Email{Subject: "Bestellbestätigung 1001", Body: "Bezahlt mit Karte. Vielen Dank!"}, false},
	} {
		if word, got := n.Disclaimed(tc.email); got != tc.disclaimed {
			t.Errorf("Disclaimed(%+v) = %q, %v; want %v", tc.email, word, got, tc.disclaimed)
		}
	}
}
