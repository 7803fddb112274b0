package catalogue

import "testing"

// findWord finds a word or phrase of its own in any script: a Latin or
// Cyrillic word must not run on into letters, a number into digits, and
// a Chinese, Japanese, Korean or Thai one is found among the characters
// around it, written without spaces.
func TestFindWordInAnyScript(t *testing.T) {
	for _, tc := range []struct {
		text, w string
		want    bool
	}{
		{"You can cancel it.", "cancel", true},
		{"See our cancellation policy.", "cancel", false},
		{"Lo sentimos", "sent", false},
		{"Puoi ANNULLARE l'ordine", "annullare", true},
		{"Заказ отправлен.", "отправлен", true},
		{"Заказ отправлено.", "отправлен", false},
		{"ご注文はキャンセルできます。", "キャンセル", true},
		{"订单可以取消。", "取消", true},
		{"주문을 취소할 수 있습니다", "취소", true},
		{"次回は2026年12月2日です", "2026年12月2日", true},
		{"คุณสามารถยกเลิกคำสั่งซื้อได้", "ยกเลิก", true}, // Thai, no spaces between words
		{"ชำระเงินครั้งถัดไปวันที่ 2 ธันวาคม 2569", "2 ธันวาคม 2569", true},
		{"ชำระเงินครั้งถัดไปวันที่ 12 ธันวาคม 2569", "2 ธันวาคม 2569", false},
		{"次回は2026年12月22日です", "2026年12月2日", false},
		{"Bestellung 12345", "1234", false},
		{"on 2 December 2026", "2 December 2026", true},
		{"on 12 December 2026", "2 December 2026", false},
		{"", "cancel", false},
		{"cancel", "", false},
	} {
		if _, got := findWord(tc.text, tc.w); got != tc.want {
			t.Errorf("findWord(%q, %q) = %v, want %v", tc.text, tc.w, got, tc.want)
		}
	}
}
