package awsproto

import (
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
)

// NewRequestID returns an id in AWS's UUID form.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// WriteJSON writes a REST-JSON success: always 200, as every EKS operation is.
func WriteJSON(w http.ResponseWriter, requestID string, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteJSONError writes a REST-JSON error with the x-amzn-ErrorType header.
func WriteJSONError(w http.ResponseWriter, requestID string, e *awserr.Error) {
	body := map[string]any{"message": e.Message}
	for k, v := range e.Fields {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.Header().Set("x-amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// WriteJSON11Error writes an AWS JSON 1.1 error (ECR's protocol): the code
// is the body's __type as well as the x-amzn-ErrorType header.
func WriteJSON11Error(w http.ResponseWriter, requestID string, e *awserr.Error) {
	body := map[string]any{"__type": e.Code, "message": e.Message}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.Header().Set("x-amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// WriteXML writes a Query-protocol success body.
func WriteXML(w http.ResponseWriter, requestID string, v any) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(v)
}

type queryErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Error     queryError
	RequestID string `xml:"RequestId"`
}

type queryError struct {
	Type    string
	Code    string
	Message string
}

// WriteQueryError writes the error shape of IAM and STS.
func WriteQueryError(w http.ResponseWriter, requestID string, e *awserr.Error) {
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(queryErrorResponse{Error: queryError{Type: typ, Code: e.Code, Message: e.Message}, RequestID: requestID})
}

type ec2ErrorResponse struct {
	XMLName   xml.Name   `xml:"Response"`
	Errors    []ec2Error `xml:"Errors>Error"`
	RequestID string     `xml:"RequestID"`
}

type ec2Error struct {
	Code    string
	Message string
}

// WriteEC2Error writes the error shape of EC2, which differs from IAM's.
func WriteEC2Error(w http.ResponseWriter, requestID string, e *awserr.Error) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(ec2ErrorResponse{Errors: []ec2Error{{Code: e.Code, Message: e.Message}}, RequestID: requestID})
}
