// Package eksapi is the REST-JSON wire layer of the EKS service: it routes
// requests, decodes them into internal/eks inputs and encodes the answers in
// the shapes of the eks 2017-11-01 model. It holds no rules of its own.
package eksapi
