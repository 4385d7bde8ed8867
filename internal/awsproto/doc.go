// Package awsproto is keks's AWS front door: it verifies SigV4 signatures,
// routes a request to the service named in its credential scope, and writes
// AWS-shaped responses and errors for the REST-JSON and Query protocols.
package awsproto
