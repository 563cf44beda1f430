package policy

import (
	"crypto/sha256"
	"hash"
	"strconv"
	"strings"
	"time"

	"github.com/audguard/audguard/canonical"
	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/jsonrpc"
	"github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/filter/listshape"
	"github.com/audguard/audguard/filter/mcp"
	"github.com/audguard/audguard/internal/textblock"
	"github.com/audguard/audguard/jwtlite"
)

// Options tune an Engine.
type Options struct {
	// Now is the clock (docs/request-flow.md#11-verification step 8). Default time.Now.
	Now func() time.Time
	// CacheSize bounds the verified-token cache: 0 means the configuration's
	// cache_size, a negative value disables the cache.
	CacheSize int
	// Shared, when set and the configuration has shared_cache_slots > 0,
	// shares verified tokens with the other VMs of the plugin.
	Shared SharedStore
	// Trace, when set, receives every check as it is made (for
	// `audguard explain`). The filter never sets it.
	Trace func(Step)
	// DPoPShared is where the VMs of a proxy share the DPoP replay set and
	// nonce secret (docs/request-flow.md#11a-dpop): the plugin's shared
	// data. nil keeps them inside this engine (one VM, the CLI, tests).
	DPoPShared SharedStore
	// KeysShared is where the VMs of a proxy share fetched JWK Sets and the
	// fetch lease (docs/configuration.md#remote-key-sets-jwks_uri): the plugin's shared data. nil keeps them
	// inside this engine (one VM, the CLI, tests).
	KeysShared SharedStore
	// VMID names this VM in the fetch lease; 0 draws one.
	VMID uint64
	// Rand returns a number in [0, 1) for the refresh jitter; nil: random.
	Rand func() float64
}

// Engine makes the per-request decisions for one compiled configuration.
// Build it once per configuration (a new configuration means a new Engine, so
// the token cache is flushed with it). Not safe for concurrent use.
type Engine struct {
	// What the configuration fixes, computed once in New.
	cfg     *config.Plugin
	replies []resourceReplies // by Resource.Index
	now     func() time.Time
	cache   *tokenCache
	shared  *shared
	keys    *keys.State
	dpop    dpopState
	// authorities is the last request authority normalised (requestAuthority).
	authorities authorityMemo
	// knownToken reports a token the cache holds, which extraction need
	// not scan again (e.lookupToken).
	knownToken func(string) bool
	strip      map[string]struct{}
	stripLens  lengthSet // the lengths of the names in strip
	tr         func(Step)

	scratch
}

// scratch is the per-request working memory, reused from one request to the
// next so that the request path does not allocate. Nothing in it outlives a
// call of Decide except as reusable capacity.
type scratch struct {
	parser jwtlite.Parser
	tok    jwtlite.Token
	sha    hash.Hash
	sum    [32]byte // SHA-256 of the current token: the cache key
	view   requestView
	d      Decision
	buf    []byte

	hostFailure Decision     // HostFailure's, apart from d: it may follow a Decide
	req         *Request     // the request being decided
	desc        string       // a denial's own description, when the reason's does not fit
	key         *jwtlite.Key // the key that verified the current token (cold path)
	hit         *cacheEntry  // the cache entry serving the current request, if any

	// MCP (docs/request-flow.md#9-mcp-operation, docs/request-flow.md#12-scopes).
	mcpParser  mcp.Parser
	mcpHeaders mcp.Headers // of the current request; zero when not read
	need       *mcp.Need   // the scopes the current request needs
	checker    mcp.Checker
	missing    []string
	tokenSeen  bool       // a token was extracted: e.token is it
	scheme     authScheme // the Authorization scheme of the current request
	freshNonce bool       // the allowed response carries a fresh DPoP-Nonce (checkDPoP)
	token      string     // the current request's token (valid during Decide)
	sumDone    bool       // e.sum holds digest() of e.token
	// found is the cache entry extraction looked up for foundTok (the
	// token's bytes in this request's Authorization header), so that
	// obtain need not hash and compare the token a second time. Reset by
	// every Decide: it is only ever matched by the string's address.
	found    *cacheEntry
	foundTok string
	logs     logLimiter

	// The JSON-RPC body (filter/policy/body.go).
	bodyParser jsonrpc.Parser
	listKind   listshape.Kind // the kind of list the body's one request asks for; 0: none
	bodyID     string         // the id of the body's one message, as JSON text; "" when none was read
	needs      []*mcp.Need    // per message of the body
}

// lookupToken is knownToken: whether the cache holds exactly tok, keeping
// the entry for obtain.
func (e *Engine) lookupToken(tok string) bool {
	e.found, e.foundTok = e.cache.lookup(tok), tok
	return e.found != nil
}

// New precomputes everything the request path needs for cfg.
// It panics where NewEngine returns an error, which a configuration that
// config.Load accepted never causes; tests and the CLI use it.
func New(cfg *config.Plugin, opts Options) *Engine {
	e, err := NewEngine(cfg, opts)
	if err != nil {
		panic("policy: " + err.Error())
	}
	return e
}

// NewEngine precomputes everything the request path needs for cfg and sets
// up the issuers' key state (configured keys; remote key sets,
// docs/configuration.md#remote-key-sets-jwks_uri). The plugin refuses to start on an error.
func NewEngine(cfg *config.Plugin, opts Options) (*Engine, error) {
	e := &Engine{
		cfg:     cfg,
		replies: make([]resourceReplies, len(cfg.Resources)),
		now:     opts.Now,
		tr:      opts.Trace,
		scratch: scratch{sha: sha256.New()},
		strip:   make(map[string]struct{}, len(cfg.StripHeaders)),
	}
	if e.now == nil {
		e.now = time.Now
	}
	var tb textblock.Block // the resources' challenges, carved from shared blocks
	for _, r := range cfg.Resources {
		e.replies[r.Index] = newResourceReplies(r, &tb)
	}
	for _, h := range cfg.StripHeaders {
		e.strip[h] = struct{}{}
		e.stripLens.add(len(h))
	}
	size := opts.CacheSize
	if size == 0 {
		size = cfg.CacheSize
	}
	e.cache = newTokenCache(size)
	e.knownToken = e.lookupToken // made once: a method value per request would allocate
	e.shared = newShared(opts.Shared, cfg.SharedCacheSlots, cfg)
	dp, err := newDPoP(cfg, opts.DPoPShared)
	if err != nil {
		return nil, err
	}
	e.dpop = dp
	issuers := make([]keys.Issuer, len(cfg.Issuers))
	prefix := "" // only fetched key sets are shared: no digest of the configuration without one
	for i, is := range cfg.Issuers {
		issuers[i] = keys.Issuer{Name: is.Name, Configured: is.JWKS, Algorithms: is.ExplicitAlgorithms, Remote: is.Remote}
		if is.Remote != nil && prefix == "" {
			prefix = configPrefix(cfg)
		}
	}
	var store keys.SharedStore
	if opts.KeysShared != nil {
		store = opts.KeysShared
	}
	st, err := keys.New(issuers, keys.Options{Shared: store, Prefix: prefix, VMID: opts.VMID, Rand: opts.Rand})
	if err != nil {
		return nil, err
	}
	e.keys = st
	return e, nil
}

// Keys is the issuers' key state, for the glue to drive (Tick, fetch
// responses, Cancel, Stats).
func (e *Engine) Keys() *keys.State { return e.keys }

// Config returns the configuration the engine was built from.
func (e *Engine) Config() *config.Plugin { return e.cfg }

// CacheLen returns the number of verified tokens currently cached.
func (e *Engine) CacheLen() int { return e.cache.len() }

// Decide runs docs/request-flow.md for one request: 5.1 metadata, 5.2 preflight,
// resource resolution (§3), 5.3 public paths, 5.4 extraction, 5.5
// verification, 5.6 scopes, 5.7 headers; 5.8 in report mode.
func (e *Engine) Decide(req *Request) *Decision {
	d := &e.d
	d.reset()
	e.tokenSeen, e.token, e.desc, e.hit = false, "", "", nil
	e.scheme, e.freshNonce = schemeNone, false
	e.found, e.foundTok = nil, ""
	e.mcpHeaders = mcp.Headers{}
	e.need = nil
	e.bodyID, e.listKind = "", 0
	e.req = req
	v := &e.view
	*v = requestView{}
	v.read(req.Headers)
	d.RequestID = sanitizeRequestID(v.requestID)
	report := e.cfg.Mode == config.ModeReport

	// §5.7: client-sent claim headers go on every request, whatever follows.
	e.stripClaimHeaders(req.Headers, d)

	from := e.authorityFrom(req)
	authority, authOK := e.requestAuthority(req, v, from)
	path := pathOnly(v.path)

	// §5.1 metadata, before resource resolution.
	if authOK {
		if r := e.metadataResource(from, authority, path); r != nil {
			if e.tracing() {
				e.trace("metadata", true, "RFC 9728 metadata endpoint of "+r.URI+" on "+authority+" ("+authoritySource(req, from, e.view.hostCount)+")")
			}
			d.Resource = r
			if report {
				d.Outcome = OutcomeMetadataPassed
				return d
			}
			e.serveMetadata(r, v, d)
			return d
		}
	}

	// §5.2 CORS preflight.
	if v.method == "OPTIONS" && v.hasOrigin && v.hasACRMethod && v.noBody(req) {
		if e.tracing() {
			e.trace("preflight", true, "CORS preflight: passed on without a token")
		}
		d.Outcome = OutcomePreflight
		if !report {
			e.removeAuthorization(d)
		}
		return d
	}

	// §3 resource resolution.
	r, badHost := e.resolve(req, from, authority, authOK)
	if e.tracing() {
		e.traceResolve(req, from, authority, authOK, badHost, r)
	}
	if badHost {
		// authority_from "host" needs one Host header (docs/request-flow.md#6-resource).
		e.desc = descOneHost
		e.deny(d, v, nil, ReasonInvalidRequest, report)
		return d
	}
	if r == nil {
		e.deny(d, v, nil, ReasonUnmatchedResource, report)
		return d
	}
	d.Resource = r

	// §5.3 public paths.
	if publicMatch(r, path) {
		if e.tracing() {
			e.trace("public path", true, path+" is a public path of "+r.URI)
		}
		d.Outcome = OutcomePublic
		// An unverified token is never forwarded, whatever forward_token
		// says (docs/request-flow.md#7-public-paths); report mode leaves headers alone (§5.8).
		if !report {
			e.removeAuthorization(d)
		}
		return d
	}

	// §5.4a Origin, §5.4b MCP operation: what the request may be and needs.
	e.need = r.Rules.Base()
	if reason, desc := e.checkOrigin(r, v); reason != ReasonNone {
		e.desc = desc
		e.deny(d, v, r, reason, report)
		return d
	}
	judgeBody := bodyJudged(r, v, path)
	if reason := e.operation(r, v, judgeBody); reason != ReasonNone {
		e.deny(d, v, r, reason, report)
		return d
	}

	// §5.4 token extraction.
	token, reason := e.extract(r, v)
	if reason != ReasonNone {
		e.deny(d, v, r, reason, report)
		return d
	}

	// §5.5 verification and §5.6 scopes.
	claims, reason := e.verify(r, token, d)
	if reason == reasonWait {
		// Paused until the issuer's key set is fetched (docs/configuration.md#remote-key-sets-jwks_uri): the
		// glue applies nothing now and decides the request again on ActWake.
		d.Outcome, d.Resource = OutcomeWait, r
		return d
	}
	if reason == ReasonNone {
		reason = e.checkDPoP(r, v, req, claims) // §11a: the proof and the token's binding
	}
	if reason == ReasonNone {
		reason = e.checkScopes(r, claims)
	}
	// §9 the body: once the token is good for the resource, the operation
	// the body names, and the scopes it needs.
	if reason == ReasonNone && judgeBody {
		if hold := e.holdForBody(r, v, req, d); hold {
			return d
		}
		switch {
		case req.BodyTooLarge:
			reason = ReasonBodyTooLarge
		default:
			reason = e.bodyOperation(r, req)
		}
		if reason == ReasonNone {
			reason = e.checkScopes(r, claims)
		}
	}
	e.planList(r, claims, reason, report, d) // §9a lists: what their answer may show
	if reason != ReasonNone {
		e.deny(d, v, r, reason, report)
		return d
	}

	// §5.7 allowed.
	d.Outcome = OutcomeAllowed
	if !report && !r.ForwardToken {
		e.removeAuthorization(d)
		// The proof goes with the token: it is bound to this request and
		// to a token the upstream does not get (RFC 9449 §7.1).
		for i := 0; i < e.view.dpopCount; i++ {
			d.Remove = append(d.Remove, "dpop")
		}
	}
	if !report {
		e.dpopResponse(r, d)
	}
	e.setClaimHeaders(r, claims, d)
	return d
}

// extract is docs/request-flow.md#10-token-extraction: the one Bearer token of the request (or,
// where the resource's dpop is not "off", the one DPoP token), or the reason
// there is none (RFC 6750 §2.1, §2.3; RFC 9449 §7.1). e.scheme records the
// scheme. Each refusal is traced.
func (e *Engine) extract(r *config.Resource, v *requestView) (string, Reason) {
	fail := func(reason Reason, detail string) (string, Reason) {
		if e.tracing() {
			e.trace("token", false, detail)
		}
		return "", reason
	}
	if tokenInQuery(v.path) {
		return fail(ReasonTokenInQuery, "an access_token query parameter: tokens in the URI are refused (RFC 6750 §2.3, RFC 9700 §2.6)")
	}
	switch {
	case v.authCount > 1:
		return fail(ReasonInvalidRequest, strconv.Itoa(v.authCount)+" Authorization headers; exactly one is allowed")
	case v.authCount == 0:
		return fail(ReasonMissingToken, "no Authorization header (RFC 6750 §2.1)")
	}
	token, scheme, ok := credentials(v.authorization, r.DPoP != config.DPoPOff, e.knownToken)
	e.scheme = scheme
	switch {
	case scheme == schemeNone && r.DPoP == config.DPoPOff:
		return fail(ReasonMissingToken, "the Authorization scheme is not Bearer: the request counts as carrying no token (RFC 6750 §2.1)")
	case scheme == schemeNone:
		return fail(ReasonMissingToken, "the Authorization scheme is neither Bearer nor DPoP: the request counts as carrying no token (RFC 6750 §2.1, RFC 9449 §7.1)")
	case scheme == schemeBearer && r.DPoP == config.DPoPRequired:
		return fail(ReasonMissingToken, "the resource requires the DPoP scheme (dpop \"required\"): a Bearer credential counts as no token (RFC 9449 §7.1)")
	case !ok && scheme == schemeDPoP:
		return fail(ReasonInvalidRequest, "DPoP credentials that are not exactly one b64token after one or more spaces (RFC 9449 §7.1)")
	case !ok:
		return fail(ReasonInvalidRequest, "Bearer credentials that are not exactly one b64token after one or more spaces (RFC 6750 §2.1)")
	}
	if e.tracing() {
		e.trace("token", true, "one "+schemeName(scheme)+" token in the Authorization header ("+strconv.Itoa(len(token))+" bytes)")
	}
	return token, ReasonNone
}

func schemeName(s authScheme) string {
	if s == schemeDPoP {
		return "DPoP"
	}
	return "Bearer"
}

// removeAuthorization removes every Authorization header: one removal per
// occurrence, as for claim headers.
func (e *Engine) removeAuthorization(d *Decision) {
	d.Remove = append(d.Remove, "authorization")
	for i := 1; i < e.view.authCount; i++ {
		d.Remove = append(d.Remove, "authorization")
	}
}

// authorityFrom resolves authority_from "auto" for one request
// (docs/request-flow.md#6-resource): the exact :authority on a host that serves Envoy's xds.* properties,
// else the Host header as nginx's $host.
func (e *Engine) authorityFrom(req *Request) config.AuthorityFrom {
	if from := e.cfg.AuthorityFrom; from != config.AuthorityAuto {
		return from
	}
	if req.XDS || req.HasVirtualHost {
		return config.AuthorityExact
	}
	return config.AuthorityHost
}

// requestAuthority returns the request authority in the form from compares
// (docs/request-flow.md#6-resource). Under "host" it is nginx's $host when the host reports it,
// else the one Host header, else (no Host header at all, as in HTTP/1.0)
// the :authority read the same way, which is what nginx's $host falls back
// to: the matched server's name. ok is false when there is no valid value.
func (e *Engine) requestAuthority(req *Request, v *requestView, from config.AuthorityFrom) (string, bool) {
	switch {
	case from == config.AuthorityExact:
		return e.authorities.of(v.authority, true)
	case req.HasHostVar:
		return e.authorities.of(req.HostVar, false)
	case v.hostCount == 1:
		return e.authorities.of(v.host, false)
	case v.hostCount == 0:
		return e.authorities.of(v.authority, false)
	}
	return "", false
}

// authorityMemo remembers the last authority normalised, and how: the
// requests a VM sees mostly name one or a few hosts, and the checks of
// canonical.HostOnly and ExactAuthority were a tenth of a cache hit's own
// work in the module (BENCHMARKS.md). The result depends only on the input.
type authorityMemo struct {
	in, out   string
	exact, ok bool
	set       bool
}

// of is canonical.ExactAuthority(in) when exact, else canonical.HostOnly(in).
func (m *authorityMemo) of(in string, exact bool) (string, bool) {
	if m.set && m.exact == exact && m.in == in {
		return m.out, m.ok
	}
	var out string
	var ok bool
	if exact {
		out, ok = canonical.ExactAuthority(in)
	} else {
		out, ok = canonical.HostOnly(in)
	}
	*m = authorityMemo{in: in, out: out, exact: exact, ok: ok, set: true}
	return out, ok
}

// authoritySource names where the authority came from, for traces.
func authoritySource(req *Request, from config.AuthorityFrom, hostCount int) string {
	switch {
	case from == config.AuthorityExact:
		return ":authority, compared exactly"
	case req.HasHostVar:
		return "nginx $host"
	case hostCount == 0:
		return ":authority with the port removed, as there is no Host header"
	}
	return "Host header with the port removed"
}

// resolve maps a request to its resource (docs/request-flow.md#6-resource): route name, then
// virtual host name, then authority, then the default resource. badHost is
// true when the authority step is reached under authority_from "host" and
// the request has more than one Host header (and no nginx $host): 400,
// never the default resource (RFC 9112 §3.2: a server must reject it).
func (e *Engine) resolve(req *Request, from config.AuthorityFrom, authority string, authOK bool) (r *config.Resource, badHost bool) {
	if req.HasRoute {
		if r := e.cfg.ByRoute[req.RouteName]; r != nil {
			return r, false
		}
	}
	if req.HasVirtualHost {
		if r := e.cfg.ByVirtualHost[req.VirtualHost]; r != nil {
			return r, false
		}
	}
	if from == config.AuthorityHost && !req.HasHostVar && e.view.hostCount > 1 {
		return nil, true
	}
	if authOK {
		if r := e.byAuthority(from)[authority]; r != nil {
			return r, false
		}
	}
	return e.cfg.Default, false
}

func (e *Engine) byAuthority(from config.AuthorityFrom) map[string]*config.Resource {
	if from == config.AuthorityHost {
		return e.cfg.ByHost
	}
	return e.cfg.ByAuthority
}

// metadataResource finds the resource whose RFC 9728 metadata endpoint is at
// authority+path (one terminating "/" tolerated). Every metadata path begins
// with the well-known prefix, so any other request costs no table lookup.
func (e *Engine) metadataResource(from config.AuthorityFrom, authority, path string) *config.Resource {
	if !strings.HasPrefix(path, canonical.MetadataPrefix) {
		return nil
	}
	md := e.cfg.Metadata
	if from == config.AuthorityHost {
		md = e.cfg.MetadataByHost
	}
	return md[config.MetadataAt{Authority: authority, Path: config.MetadataKey(path)}]
}

// serveMetadata answers the metadata endpoint (docs/request-flow.md#4-metadata-endpoint, RFC 9728 §3).
func (e *Engine) serveMetadata(r *config.Resource, v *requestView, d *Decision) {
	rr := &e.replies[r.Index]
	d.Outcome = OutcomeMetadata
	switch v.method {
	case "GET", "HEAD":
		d.Status = 200
		d.ReplyHeaders = append(d.ReplyHeaders,
			[2]string{hdrContentType, mimeJSON},
			[2]string{hdrACAO, "*"})
		if v.method == "GET" {
			if rr.metadataDoc == nil {
				rr.metadataDoc = metadataDocument(r)
			}
			d.ReplyBody = rr.metadataDoc
		}
	case "OPTIONS":
		d.Status = 204
		d.ReplyHeaders = append(d.ReplyHeaders,
			[2]string{hdrACAO, "*"},
			[2]string{hdrACAM, metadataMethods})
		if h := sanitizeHeaderList(v.acrHeaders); h != "" {
			d.ReplyHeaders = append(d.ReplyHeaders, [2]string{hdrACAH, h})
		}
		d.ReplyHeaders = append(d.ReplyHeaders, [2]string{hdrACMA, preflightMaxAge})
	default:
		d.Status = 405
		d.ReplyHeaders = append(d.ReplyHeaders,
			[2]string{hdrAllow, metadataMethods},
			[2]string{hdrContentType, mimeJSON})
		d.ReplyBody = errorBody("method_not_allowed", "The metadata endpoint answers GET, HEAD and OPTIONS.")
		if v.hasOrigin {
			d.ReplyHeaders = append(d.ReplyHeaders, [2]string{hdrACAO, "*"}, [2]string{hdrACEH, hdrWWWAuthenticate})
		}
	}
}

// deny records a denial: a local reply in enforce mode, a would-deny in
// report mode (docs/request-flow.md#report-mode, docs/responses.md).
func (e *Engine) deny(d *Decision, v *requestView, r *config.Resource, reason Reason, report bool) {
	d.Reason = reason
	d.Resource = r
	d.Outcome = OutcomeDenied
	if report {
		d.Outcome = OutcomeWouldDeny
	}
	atInfo, suppressed := e.logs.due(r, reason, e.now())
	d.logLevel = LogDebug
	if atInfo {
		d.logLevel = LogInfo
	}
	d.logSuppressed, d.engine = suppressed, e // the line is built when asked for
	if report {
		return
	}
	info := &reasonTable[reason]
	d.Status = info.status
	if r != nil && info.challenge != challengeNone {
		rr := &e.replies[r.Index]
		ch := rr.challenge(reason, e.need, r.Rules.Base(), e.desc)
		bearer, dpopCh := e.challengeSchemes(r, reason)
		if bearer {
			d.ReplyHeaders = append(d.ReplyHeaders, [2]string{hdrWWWAuthenticate, ch})
		}
		if dpopCh {
			d.ReplyHeaders = append(d.ReplyHeaders, [2]string{hdrWWWAuthenticate, rr.dpopChallenge(ch)})
		}
		e.dpopReplyHeaders(d, r, reason)
	}
	d.ReplyHeaders = append(d.ReplyHeaders, [2]string{hdrContentType, mimeJSON})
	if reason == ReasonKeysUnavailable {
		// The client's token is not at fault: no challenge, come back soon
		// (docs/configuration.md#remote-key-sets-jwks_uri, docs/responses.md).
		d.ReplyHeaders = append(d.ReplyHeaders, [2]string{hdrRetryAfter, "5"})
	}
	if v.hasOrigin {
		expose := hdrWWWAuthenticate
		if reason == ReasonUseDPoPNonce {
			expose = hdrWWWAuthenticate + ", " + hdrDPoPNonce
		}
		d.ReplyHeaders = append(d.ReplyHeaders, [2]string{hdrACAO, "*"}, [2]string{hdrACEH, expose})
	}
	desc := info.description
	if e.desc != "" {
		desc = e.desc
	}
	switch code := jsonrpcCodes[reason]; {
	case code == 0:
		d.ReplyBody = errorBody(info.code, desc)
	case reason == ReasonForbiddenOrigin:
		d.ReplyBody = jsonrpcErrorBody(code, desc, "")
	default:
		id := e.bodyID
		if id == "" {
			id = "null"
		}
		d.ReplyBody = jsonrpcErrorBody(code, desc, id)
	}
}

// traceResolve explains which resource was chosen and why (docs/request-flow.md#6-resource).
func (e *Engine) traceResolve(req *Request, from config.AuthorityFrom, authority string, authOK, badHost bool, r *config.Resource) {
	var why string
	switch {
	case badHost:
		e.trace("resource", false, "the request has "+strconv.Itoa(e.view.hostCount)+" Host headers; authority_from host needs one")
		return
	case r == nil:
		e.trace("resource", false, "no route, virtual host, authority ("+strconv.Quote(authority)+" from the "+authoritySource(req, from, e.view.hostCount)+") or default resource matches")
		return
	case req.HasRoute && e.cfg.ByRoute[req.RouteName] == r:
		why = "route name " + strconv.Quote(req.RouteName)
	case req.HasVirtualHost && e.cfg.ByVirtualHost[req.VirtualHost] == r:
		why = "virtual host " + strconv.Quote(req.VirtualHost)
	case authOK && e.byAuthority(from)[authority] == r:
		why = "authority " + strconv.Quote(authority) + " from the " + authoritySource(req, from, e.view.hostCount)
	default:
		why = "the default resource"
	}
	e.trace("resource", true, r.URI+" (by "+why+")")
}
