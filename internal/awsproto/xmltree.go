package awsproto

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"time"
)

// Node is an XML element built in code; Query-protocol answers are trees of them.
type Node struct {
	Name string
	Text string
	Kids []Node
	// Attr is set on the root only (xmlns).
	Attr []xml.Attr
}

// El makes an element with children.
func El(name string, kids ...Node) Node { return Node{Name: name, Kids: kids} }

// Tx makes an element holding text.
func Tx(name, text string) Node { return Node{Name: name, Text: text} }

// Bool makes an element holding true or false.
func Bool(name string, v bool) Node { return Tx(name, strconv.FormatBool(v)) }

// Int makes an element holding a number.
func Int(name string, v int) Node { return Tx(name, strconv.Itoa(v)) }

// Time makes an element holding an ISO 8601 time, as Query services write them.
func Time(name string, t time.Time) Node { return Tx(name, t.UTC().Format("2006-01-02T15:04:05Z")) }

// List makes <name><item>..</item>...</name> with the given item element name.
func List(name, item string, items []Node) Node {
	n := Node{Name: name}
	for _, it := range items {
		it.Name = item
		n.Kids = append(n.Kids, it)
	}
	return n
}

// MarshalXML writes the tree.
func (n Node) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{Name: xml.Name{Local: n.Name}, Attr: n.Attr}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if n.Text != "" {
		if err := e.EncodeToken(xml.CharData(n.Text)); err != nil {
			return err
		}
	}
	for _, k := range n.Kids {
		if err := e.Encode(k); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// WriteQueryResult writes IAM's and STS's success shape:
// <ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>.
func WriteQueryResult(w http.ResponseWriter, requestID, action, xmlns string, result ...Node) {
	root := Node{Name: action + "Response", Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}}
	root.Kids = append(root.Kids, El(action+"Result", result...), El("ResponseMetadata", Tx("RequestId", requestID)))
	WriteXML(w, requestID, root)
}

// WriteEC2Result writes EC2's success shape: <ActionResponse><requestId>...
func WriteEC2Result(w http.ResponseWriter, requestID, action string, kids ...Node) {
	root := Node{Name: action + "Response", Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: "http://ec2.amazonaws.com/doc/2016-11-15/"}}}
	root.Kids = append([]Node{Tx("requestId", requestID)}, kids...)
	WriteXML(w, requestID, root)
}
