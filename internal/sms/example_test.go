package sms_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/sms"
)

func ExampleText() {
	l := &invited.Letter{
		Kind:         invited.KindReminder,
		Organization: "Acme Corp",
		Roles:        []string{"admin"},
		ExpiresAt:    time.Date(2025, 11, 30, 12, 0, 0, 0, time.UTC),
		Link:         "https://invited.example.com/i/TOKEN",
	}
	fmt.Println(sms.Text(l))

	l.Kind, l.Inviter = invited.KindInvitation, "Ann Lee"
	l.Organization = strings.Repeat("Very Long Organization Name ", 5)
	s := sms.Text(l)
	fmt.Println(s, sms.Segments(s))
	// Output:
	// Your invitation to join Acme Corp as admin expires 30 Nov: https://invited.example.com/i/TOKEN
	// Join Very Long Organization Name Very Long Organization Name Very Long Organization Name Very Long Organization Name...: https://invited.example.com/i/TOKEN 1
}
