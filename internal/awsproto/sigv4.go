package awsproto

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
)

const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	amzDateFmt   = "20060102T150405Z"
	// maxSkew is how far a signed request's X-Amz-Date may be from now, as AWS allows.
	maxSkew = 15 * time.Minute
	// maxBody bounds what keks reads of any API request.
	maxBody = 16 << 20
)

// Credential is what a credential scope names.
type Credential struct {
	AccessKeyID string
	Date        string
	Region      string
	Service     string
}

// KeyLookup resolves a credential scope to its SigV4 signing key and, for
// session credentials, the session token that must accompany it.
type KeyLookup func(cred Credential) (signingKey []byte, sessionToken string, err error)

// SecretLookup resolves an access key id to its secret.
type SecretLookup func(accessKeyID string) (secret, sessionToken string, err error)

// FromSecrets derives signing keys from secrets.
func FromSecrets(lookup SecretLookup) KeyLookup {
	return func(cred Credential) ([]byte, string, error) {
		secret, token, err := lookup(cred.AccessKeyID)
		if err != nil {
			return nil, "", err
		}
		return SigningKey(secret, cred.Date, cred.Region, cred.Service), token, nil
	}
}

// SignedRequest is a request whose signature has been checked.
type SignedRequest struct {
	Credential Credential
	Body       []byte
	SignedAt   time.Time
}

// parseAuthHeader splits "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
func parseAuthHeader(h string) (cred Credential, signedHeaders []string, sig string, err error) {
	if !strings.HasPrefix(h, sigAlgorithm+" ") {
		return cred, nil, "", awserr.Errorf(awserr.CodeIncompleteSignature, "Authorization header requires the %s algorithm", sigAlgorithm)
	}
	parts := strings.Split(strings.TrimPrefix(h, sigAlgorithm+" "), ",")
	var credStr, shStr string
	for _, p := range parts {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			continue
		}
		switch k {
		case "Credential":
			credStr = v
		case "SignedHeaders":
			shStr = v
		case "Signature":
			sig = v
		}
	}
	if credStr == "" || shStr == "" || sig == "" {
		return cred, nil, "", awserr.Errorf(awserr.CodeIncompleteSignature, "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters")
	}
	cred, err = parseCredential(credStr)
	return cred, strings.Split(shStr, ";"), sig, err
}

func parseCredential(s string) (Credential, error) {
	f := strings.Split(s, "/")
	if len(f) != 5 || f[4] != "aws4_request" {
		return Credential{}, awserr.Errorf(awserr.CodeIncompleteSignature, "Credential should be scoped to a valid region and service: %q", s)
	}
	return Credential{AccessKeyID: f[0], Date: f[1], Region: f[2], Service: f[3]}, nil
}

// VerifyRequest checks a header-signed or presigned (query) SigV4 request and
// returns its credential scope and body. The body is consumed.
func VerifyRequest(r *http.Request, now time.Time, lookup KeyLookup) (*SignedRequest, error) {
	var body []byte
	var err error
	if r.Body != nil {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	}
	if err != nil {
		return nil, awserr.Errorf(awserr.CodeInvalidRequest, "read request body: %v", err)
	}
	if len(body) > maxBody {
		return nil, awserr.Errorf(awserr.CodeRequestTooLarge, "request body exceeds %d bytes", maxBody)
	}
	q := r.URL.Query()
	var (
		cred          Credential
		signedHeaders []string
		sig, amzDate  string
		presigned     bool
		token         string
	)
	switch {
	case r.Header.Get("Authorization") != "":
		cred, signedHeaders, sig, err = parseAuthHeader(r.Header.Get("Authorization"))
		if err != nil {
			return nil, err
		}
		amzDate = r.Header.Get("X-Amz-Date")
		token = r.Header.Get("X-Amz-Security-Token")
	case q.Get("X-Amz-Signature") != "":
		presigned = true
		if q.Get("X-Amz-Algorithm") != sigAlgorithm {
			return nil, awserr.Errorf(awserr.CodeIncompleteSignature, "X-Amz-Algorithm must be %s", sigAlgorithm)
		}
		cred, err = parseCredential(q.Get("X-Amz-Credential"))
		if err != nil {
			return nil, err
		}
		signedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
		sig = q.Get("X-Amz-Signature")
		amzDate = q.Get("X-Amz-Date")
		token = q.Get("X-Amz-Security-Token")
	default:
		return nil, awserr.Errorf(awserr.CodeMissingAuthenticationToken, "Missing Authentication Token")
	}
	t, err := time.Parse(amzDateFmt, amzDate)
	if err != nil {
		return nil, awserr.Errorf(awserr.CodeIncompleteSignature, "the request must carry a valid X-Amz-Date")
	}
	if !strings.HasPrefix(amzDate, cred.Date) {
		return nil, awserr.Errorf(awserr.CodeSignatureDoesNotMatch, "credential date %s does not match X-Amz-Date %s", cred.Date, amzDate)
	}
	if presigned {
		// STS honours a presigned URL for 15 minutes whatever X-Amz-Expires says; keks does the same.
		if now.Before(t.Add(-maxSkew)) || now.After(t.Add(maxSkew)) {
			return nil, awserr.Errorf(awserr.CodeExpiredToken, "Signature expired: %s is now earlier than %s", t.Add(maxSkew).Format(amzDateFmt), now.UTC().Format(amzDateFmt))
		}
	} else if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return nil, awserr.Errorf(awserr.CodeInvalidSignatureException, "Signature expired: %s is now earlier than %s (%s - 15 min.)", amzDate, now.UTC().Add(-maxSkew).Format(amzDateFmt), now.UTC().Format(amzDateFmt))
	}
	if !contains(signedHeaders, "host") {
		return nil, awserr.Errorf(awserr.CodeSignatureDoesNotMatch, "'Host' must be a signed header")
	}
	key, wantToken, err := lookup(cred)
	if err != nil {
		return nil, err
	}
	if wantToken != "" && token != wantToken {
		return nil, awserr.Errorf(awserr.CodeInvalidClientTokenID, "The security token included in the request is invalid.")
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if presigned {
		payloadHash = hexSHA256(body)
	} else if payloadHash == "" || payloadHash != "UNSIGNED-PAYLOAD" {
		actual := hexSHA256(body)
		if payloadHash != "" && payloadHash != actual {
			return nil, awserr.Errorf(awserr.CodeSignatureDoesNotMatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		payloadHash = actual
	}
	canon := canonicalRequest(r, signedHeaders, payloadHash, presigned)
	expected := Signature(key, cred, amzDate, canon)
	if !hmac.Equal([]byte(expected), []byte(sig)) && presigned {
		// Some presigners sign UNSIGNED-PAYLOAD; accept that form too.
		expected = Signature(key, cred, amzDate, canonicalRequest(r, signedHeaders, "UNSIGNED-PAYLOAD", presigned))
	}
	if !hmac.Equal([]byte(expected), []byte(sig)) {
		return nil, awserr.Errorf(awserr.CodeSignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return &SignedRequest{Credential: cred, Body: body, SignedAt: t}, nil
}

// SigningKey derives the SigV4 key of one day, region and service from a
// secret; it can verify signatures without the secret itself.
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

// Signature computes the SigV4 signature of a canonical request.
func Signature(signingKey []byte, cred Credential, amzDate, canonical string) string {
	scope := strings.Join([]string{cred.Date, cred.Region, cred.Service, "aws4_request"}, "/")
	sts := strings.Join([]string{sigAlgorithm, amzDate, scope, hexSHA256([]byte(canonical))}, "\n")
	return hex.EncodeToString(hmacSHA256(signingKey, sts))
}

func canonicalRequest(r *http.Request, signedHeaders []string, payloadHash string, presigned bool) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	// Non-S3 services sign the already-escaped path escaped once more.
	b.WriteString(uriEncode(r.URL.EscapedPath(), false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.Query(), presigned))
	b.WriteByte('\n')
	sorted := append([]string(nil), signedHeaders...)
	sort.Strings(sorted)
	for _, h := range sorted {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(sorted, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

func headerValue(r *http.Request, name string) string {
	if name == "host" {
		return r.Host
	}
	if name == "content-length" && r.Header.Get("Content-Length") == "" {
		return fmt.Sprint(r.ContentLength)
	}
	vals := r.Header.Values(name)
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

func canonicalQuery(q url.Values, presigned bool) string {
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range q {
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, kv{uriEncode(k, true), uriEncode(v, true)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// uriEncode is SigV4's UriEncode: everything but unreserved characters is
// percent-encoded; '/' is kept unless encodeSlash.
func uriEncode(s string, encodeSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hexSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
