package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/drsim/drsim/simulator/client"
)

// browser starts a headless Chromium (Debian's chromium package; found by
// chromiumPath, which skips outside CI and fails in CI when there is none).
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.WindowSize(1400, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium at %s: %v", path, err)
	}
	return ctx
}

// within runs browser actions with a deadline and says what was awaited.
func within(t *testing.T, ctx context.Context, what string, d time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("browser: %s (waited %s): %v", what, d, err)
	}
}

// value runs one browser action with a deadline and returns its value.
func value[T any](t *testing.T, ctx context.Context, what string, d time.Duration, a chromedp.Action[T]) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		t.Fatalf("browser: %s (waited %s): %v", what, d, err)
	}
	return v
}

// screenshot saves a PNG when DRSIM_SCREENSHOTS names a directory (the README's come from here).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("DRSIM_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := value(t, ctx, "screenshot "+name, 10*time.Second, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pollTrue waits until a JavaScript expression is true.
func pollTrue(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr)
}

func TestDashboardShowsEventsDeliveriesAndMailLive(t *testing.T) {
	d := startLocalDev(t)
	ctx := context.Background()
	keys, err := d.sim.Client("").CreateAccount(ctx, d.key)
	if err != nil {
		t.Fatal(err)
	}
	c := d.sim.Client(keys.SecretKey)
	hook, err := ensureWebhook(ctx, c, d.merchant.WebhookURL(), allEventTypes)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetWebhookSecret(ctx, hook.ID, d.secret); err != nil {
		t.Fatal(err)
	}
	b := browser(t)

	// The page is open before the order exists: what follows must appear without a reload.
	within(t, b, "open the dashboard and see the account's key", 15*time.Second,
		chromedp.Navigate(d.sim.DashboardURL()),
		chromedp.WaitVisible(chromedp.CSS(`#secret-key`)),
		pollTrue(fmt.Sprintf(`document.querySelector("#secret-key").textContent === %q`, keys.SecretKey)),
	)
	email := fmt.Sprintf("dana+%d@example.test", time.Now().UnixNano())
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"trigger", "-sim", d.sim.URL(), "-key", keys.SecretKey, "-email", email, "order.accepted"}, &out, &errOut); code != 0 {
		t.Fatalf("trigger: %d %s %s", code, out.String(), errOut.String())
	}
	evID := eventID(t, out.String(), "order.accepted")

	within(t, b, "the order.accepted event and its delivery appear without a reload", 15*time.Second,
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="events"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#events tr[data-id="%s"]`, evID))),
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="deliveries"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#deliveries tr[data-event="%s"][data-delivered="true"]`, evID))),
	)
	rows := value(t, b, "count the event's attempts", 5*time.Second, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('#deliveries tr[data-event="%s"]').length`, evID)))
	within(t, b, "deliver again adds an attempt", 15*time.Second,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#deliveries tr[data-event="%s"] button.redeliver`, evID))),
		pollTrue(fmt.Sprintf(`document.querySelectorAll('#deliveries tr[data-event="%s"]').length > %d`, evID, rows)),
	)
	as, err := c.Deliveries(ctx, client.AttemptFilter{EventID: evID})
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != rows+1 || !as[len(as)-1].Manual || !as[len(as)-1].Delivered {
		t.Errorf("after deliver again: %d attempts (last %+v), want %d with a delivered manual one last", len(as), as[len(as)-1], rows+1)
	}
	within(t, b, "a delivery's request shows the signature header and the body", 10*time.Second,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#deliveries tr[data-event="%s"] td:nth-child(3)`, evID))),
		chromedp.WaitVisible(chromedp.CSS(`#deliveries tr.detail pre`)),
	)
	detail := value(t, b, "read the delivery's detail", 5*time.Second, chromedp.Text(chromedp.CSS(`#deliveries tr.detail`)))
	for _, want := range []string{"DigitalRiver-Signature: t=", `"type": "order.accepted"`, "200"} {
		if !strings.Contains(detail, want) {
			t.Errorf("delivery detail lacks %q:\n%s", want, detail)
		}
	}
	screenshot(t, b, "dashboard.png")
	within(t, b, "the order shows its state and events", 10*time.Second,
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="orders"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#orders tr[data-state="accepted"] .tag`)),
	)
	screenshot(t, b, "dashboard-orders.png")

	// A list cut at the latest 200 is counted "200+", not "200".
	for range 201 {
		if _, err := c.Customers(ctx, client.ListParams{Limit: 1}); err != nil {
			t.Fatal(err)
		}
	}
	within(t, b, `the API calls tab counts "200+" after 201 calls`, 10*time.Second,
		pollTrue(`document.querySelector("#count-requests").textContent === "200+"`),
	)

	// The merchant's email, in MailHog's web UI: the HTML part renders.
	order := regexp.MustCompile(`order (\d+)`).FindStringSubmatch(out.String())
	if order == nil {
		t.Fatalf("no order id in trigger's output:\n%s", out.String())
	}
	confirmation := fmt.Sprintf(`[...document.querySelectorAll('.msglist-message')].find(e => /Order confirmation/i.test(e.innerText) && e.innerText.includes(%q))`, order[1])
	within(t, b, "open the order confirmation in the mail view", 20*time.Second,
		chromedp.Navigate(d.mail.URL()+"/"),
		pollTrue(confirmation+` !== undefined`),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[chromedp.Void](confirmation+`.click()`)(ctx, tg)
			return err
		}),
		chromedp.WaitVisible(chromedp.CSS(`#preview-html`)),
	)
	html := value(t, b, "the email's HTML renders", 10*time.Second,
		chromedp.Poll[string](`(document.querySelector('#preview-html').contentDocument.body || {}).innerText || ""`))
	if !strings.Contains(html, "Widget") {
		t.Errorf("rendered email lacks the product; it shows:\n%s", html)
	}
	screenshot(t, b, "mail.png")
}
