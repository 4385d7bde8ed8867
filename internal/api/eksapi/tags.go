package eksapi

import (
	"net/http"

	"github.com/keksdev/keks/internal/awsproto"
)

func (h *Handler) tagResource(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req struct {
		Tags map[string]string `json:"tags"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := h.EKS.TagResource(r.Context(), c.Region, labels[0], req.Tags); err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{})
	return nil
}

func (h *Handler) untagResource(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	if err := h.EKS.UntagResource(r.Context(), c.Region, labels[0], r.URL.Query()["tagKeys"]); err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{})
	return nil
}

func (h *Handler) listTagsForResource(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	tags, err := h.EKS.ListTags(r.Context(), c.Region, labels[0])
	if err != nil {
		return err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"tags": tags})
	return nil
}
