package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/zeval/zeval/internal/render"
)

// PageRenderer renders pages: *render.Renderer.
type PageRenderer interface {
	Render(ctx context.Context, req render.Request) (*render.Result, error)
}

// RenderOption sets an optional setting of NewRenderHandler.
type RenderOption func(*renderHandler)

// WithRenderMaxBody limits the request body (DefaultMaxBody).
func WithRenderMaxBody(n int64) RenderOption { return func(h *renderHandler) { h.maxBody = n } }

// WithRenderLogger sets the logger (discarding by default).
func WithRenderLogger(l *slog.Logger) RenderOption { return func(h *renderHandler) { h.logger = l } }

type renderHandler struct {
	r       PageRenderer
	maxBody int64
	logger  *slog.Logger
}

// NewRenderHandler serves POST /v1/render: the body {"markup": "...", "format":
// "wikitext|markdown|html", "metadata": bool} is answered with 200 and {"html": "...",
// "calls": [...], "errors": [...], "stats": {...}} — also when calls failed, which are in
// "errors" and marked in the HTML. Markup that does not parse (unbalanced braces, nesting too
// deep) is a 400 whose body names the position: {"error": "line 3:7: ...", "status": 400,
// "position": {"offset", "line", "column"}}. An unknown format and a page with too many calls
// are 400 too, a body over the size limit 413, another method than POST 405.
func NewRenderHandler(r PageRenderer, opts ...RenderOption) http.Handler {
	h := &renderHandler{r: r, maxBody: DefaultMaxBody}
	for _, o := range opts {
		o(h)
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	return h
}

type renderRequest struct {
	Markup   *string `json:"markup"`
	Format   string  `json:"format"`
	Metadata bool    `json:"metadata"`
}

func (h *renderHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		respondError(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			respondError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", mbe.Limit))
			return
		}
		respondError(w, http.StatusBadRequest, "cannot read request body: "+err.Error())
		return
	}
	var req renderRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		respondError(w, http.StatusBadRequest, `request body is not a JSON object {"markup": ..., "format": ...}: `+err.Error())
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		respondError(w, http.StatusBadRequest, "request body has more than one JSON value")
		return
	}
	if req.Markup == nil {
		respondError(w, http.StatusBadRequest, `request body has no "markup"`)
		return
	}
	format, err := render.ParseFormat(req.Format)
	if err != nil {
		respondError(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := h.r.Render(r.Context(), render.Request{Markup: *req.Markup, Format: format, Metadata: req.Metadata})
	var se *render.SyntaxError
	switch {
	case err == nil:
		respondJSON(w, http.StatusOK, res)
	case errors.As(err, &se):
		respondJSON(w, http.StatusBadRequest, map[string]any{"error": se.Error(), "status": http.StatusBadRequest, "position": se.Pos})
	case errors.Is(err, render.ErrFormat), errors.Is(err, render.ErrTooManyCalls):
		respondError(w, http.StatusBadRequest, err.Error())
	case r.Context().Err() != nil:
		respondError(w, http.StatusServiceUnavailable, "the request ended before the page was rendered")
	default:
		h.logger.ErrorContext(r.Context(), "render failed", "err", err)
		respondError(w, http.StatusInternalServerError, "render failed: "+err.Error())
	}
}
