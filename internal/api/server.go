package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/zeval/zeval/internal/orchestrator"
	z "github.com/zeval/zeval/internal/zobject"
)

// DefaultMaxBody is the default limit on the size of a request body.
const DefaultMaxBody = 4 << 20

// Server routes the HTTP API. It is safe for concurrent use.
type Server struct {
	orch    *orchestrator.Orchestrator
	objects http.Handler
	maxBody int64
	logger  *slog.Logger
	mux     *http.ServeMux
}

// Option configures a Server.
type Option func(*Server)

// WithObjects mounts the object store API (see NewObjectsHandler) under /v1/objects/.
func WithObjects(h http.Handler) Option { return func(s *Server) { s.objects = h } }

// WithMaxBody limits request bodies to n bytes (DefaultMaxBody otherwise).
func WithMaxBody(n int64) Option { return func(s *Server) { s.maxBody = n } }

// WithLogger sets the logger (discarding by default).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.logger = l } }

// New returns a Server that evaluates calls with orch.
func New(orch *orchestrator.Orchestrator, opts ...Option) *Server {
	s := &Server{orch: orch, maxBody: DefaultMaxBody}
	for _, opt := range opts {
		opt(s)
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	for _, v := range []string{"v1", "v2"} {
		mux.HandleFunc("POST /{domain}/"+v+"/evaluate/{$}", s.evaluate)
		mux.HandleFunc("POST /{domain}/"+v+"/evaluate", s.evaluate)
	}
	// As upstream, GET on the evaluate route answers 200: a liveness probe.
	mux.HandleFunc("GET /{domain}/v1/evaluate/{$}", func(w http.ResponseWriter, r *http.Request) {
		respondJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /{domain}/v1/supported-programming-languages/{$}", s.languages)
	mux.HandleFunc("GET /{domain}/v1/supported-programming-languages", s.languages)
	if s.objects != nil {
		mux.Handle("/v1/objects/", s.objects)
		mux.Handle("/v1/objects", s.objects)
		mux.Handle(BatchPath, s.objects)
		mux.Handle(ExportPath, s.objects)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		respondError(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path)
	})
	s.mux = mux
	return s
}

// ServeHTTP serves the API. A panic in a handler becomes a 500 reply, and the server keeps
// serving.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logger.ErrorContext(r.Context(), "handler panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			respondError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	s.mux.ServeHTTP(w, r)
}

// evaluateRequest is the body of an evaluate call.
type evaluateRequest struct {
	ZObject       json.RawMessage `json:"zobject"`
	DoValidate    bool            `json:"doValidate"`
	UseReentrance bool            `json:"useReentrance"`
}

func (s *Server) evaluate(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			respondError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", mbe.Limit))
			return
		}
		respondError(w, http.StatusBadRequest, "cannot read request body: "+err.Error())
		return
	}
	var req evaluateRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		respondError(w, http.StatusBadRequest, "request body is not a JSON object with a zobject: "+err.Error())
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		respondError(w, http.StatusBadRequest, "request body has more than one JSON value")
		return
	}
	if len(bytes.TrimSpace(req.ZObject)) == 0 || bytes.Equal(bytes.TrimSpace(req.ZObject), []byte("null")) {
		respondError(w, http.StatusBadRequest, `request body has no "zobject"`)
		return
	}
	call, zerr := z.Decode(req.ZObject)
	if zerr != nil {
		call = zerr
	}
	env := s.orch.Evaluate(r.Context(), orchestrator.Request{Call: call, DoValidate: req.DoValidate})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(orchestrator.EnvelopeJSON(env))
}

func (s *Server) languages(w http.ResponseWriter, r *http.Request) {
	respondJSON(w, http.StatusOK, s.orch.Languages())
}

func respondJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode reply"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// respondError answers a JSON error body {"error": message, "status": status}.
func respondError(w http.ResponseWriter, status int, message string) {
	respondJSON(w, status, map[string]any{"error": message, "status": status})
}
