// Package email writes invited's letters as email and sends them over SMTP.
//
// Templates renders a letter into a subject, a plain-text body and an HTML
// body. The templates are embedded; an operator may replace any of them by
// putting a file of the same name in a directory given to LoadTemplates
// (the others stay embedded): for each kind (invitation, resend, reminder,
// accepted, join_confirmation) there are <kind>.subject.txt and <kind>.txt, both
// text/template, and <kind>.html, html/template; and there is layout.html.
//
// The HTML body is layout.html: the page (head, styles, greeting, frame)
// with {{template "content" .}} where the letter goes. Each <kind>.html
// holds only {{define "content"}}…{{end}}, and may also define again any
// part that layout.html defines ("greeting", "details": the message, the
// link button and the link; "expiry": when the link stops working), which
// then changes for that kind only. So replacing layout.html restyles every
// kind, and replacing a <kind>.html changes that kind's words in the same
// page. A replaced layout.html must still define the parts the kinds'
// files use.
//
// Templates see every field of invited.Letter (.Kind, .To, .ToName,
// .Organization, .Inviter, .Roles, .Message, .ExpiresAt, .Acceptor, .Link)
// and three more:
//
//	.Expires   the expiry in UTC, "Mon, 30 Nov 2026 15:04 UTC" ("" when unset)
//	.RoleList  the roles joined by ", "
//	.Action    what following the link does, the button's words ("Accept
//	           the invitation"; "Confirm and join" for join_confirmation)
//
// Sender is the invited.Transport for the email channel; Mailbox is a
// development transport that keeps what it was given in memory and shows
// it on a page.
package email
