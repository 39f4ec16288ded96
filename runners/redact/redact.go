// Package redact cuts credentials out of URLs and text: the one place the
// product decides what a secret is, shared by runners, scraping, video
// clients and the live sweep (a leaf package, so all of them can import it).
package redact

import (
	"net/url"
	"sort"
	"strings"
)

// Redacted replaces secret values in text.
const Redacted = "REDACTED"

// secretParams are query parameters that carry credentials (Azure's
// api-key, Google's key, signed URLs' sig/signature, bearer tokens).
var secretParams = map[string]bool{
	"api-key": true, "api_key": true, "apikey": true, "key": true, "token": true, "access_token": true,
	"auth": true, "authorization": true, "password": true, "secret": true, "sig": true, "signature": true,
	"x-api-key": true, "client_secret": true,
}

// URL returns u with its credentials replaced: the user info of
// http://user:pw@host becomes REDACTED@, and the values of secret query
// parameters (api-key, key, token, sig, ...) become REDACTED. A string that
// does not parse is returned whole-redacted when it looks like it has
// credentials, unchanged otherwise.
func URL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		if strings.Contains(u, "@") || strings.Contains(u, "?") {
			return Redacted
		}
		return u
	}
	if p.User != nil {
		p.User = url.User(Redacted)
	}
	if p.RawQuery != "" {
		q := p.Query()
		changed := false
		for k := range q {
			if secretParams[strings.ToLower(k)] {
				for i := range q[k] {
					q[k][i] = Redacted
				}
				changed = true
			}
		}
		if changed {
			p.RawQuery = q.Encode()
		}
	}
	return p.String()
}

// SecretsOf lists the secret values that urls and the request credentials
// carry, longest first, so they can be cut out of any text (error messages
// from the transport or echoed by a server).
func SecretsOf(urls []string, apiKey string, auth []string) Secrets {
	var s Secrets
	add := func(v string) {
		if len(v) >= 3 { // shorter "secrets" would redact ordinary words
			s = append(s, v)
		}
	}
	for _, target := range urls {
		p, err := url.Parse(target)
		if err != nil {
			continue
		}
		if p.User != nil {
			add(p.User.Username())
			if pw, ok := p.User.Password(); ok {
				add(pw)
				add(url.QueryEscape(pw))
			}
		}
		for k, vs := range p.Query() {
			if secretParams[strings.ToLower(k)] {
				for _, v := range vs {
					add(v)
					add(url.QueryEscape(v))
				}
			}
		}
	}
	add(apiKey)
	for _, a := range auth {
		add(a)
		if _, tok, ok := strings.Cut(a, " "); ok {
			add(tok)
		}
	}
	sort.Slice(s, func(i, j int) bool { return len(s[i]) > len(s[j]) })
	return s
}

// Secrets are secret values to cut out of text (SecretsOf).
type Secrets []string

// Apply replaces every secret in text with Redacted.
func (r Secrets) Apply(text string) string {
	for _, s := range r {
		if strings.Contains(text, s) {
			text = strings.ReplaceAll(text, s, Redacted)
		}
	}
	return text
}
