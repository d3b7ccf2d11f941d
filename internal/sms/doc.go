// Package sms delivers letters by text message: Text writes a letter as a
// body that fits one SMS where it can, and Twilio sends it through Twilio's
// REST API or any provider that speaks it.
//
// The transport is configured from one URL (INVITED_SMS_URL):
//
//	https://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com?from=%2B15550001111
//	https://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com?messaging_service_sid=MG...&timeout=5s
//
// Its parts:
//
//   - Scheme, host and an optional path are the API's base URL; requests go
//     to BASE/2010-04-01/Accounts/ACCOUNT_SID/Messages.json. Use https; http
//     is accepted for local test servers.
//   - The user info is the account SID and auth token, percent-encoded if
//     they contain reserved characters.
//   - The query has exactly one of from, the sender's E.164 number (a "+"
//     in a query means a space, so write it as %2B), and
//     messaging_service_sid (MG...), whose service picks the sender: that
//     is how short codes and alphanumeric sender IDs are used.
//   - timeout (optional, default 10s) bounds each request, as a Go duration.
//
// Any other query parameter is an error, so that a typo is not silently
// ignored.
package sms
