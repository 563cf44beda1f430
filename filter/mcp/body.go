package mcp

// What the headers say against what the body says (MCP 2026-07-28,
// basic/transports/streamable-http, "Server Validation"): when the filter
// reads the JSON-RPC body itself, the headers no longer choose the rule,
// but they must still agree with the body, because the server (or another
// intermediary) may act on either.

// ParseRawAll is ParseRaw for comparing the headers with a body: it decodes
// Mcp-Method and Mcp-Name in every era (a legacy client may send them too,
// and an upstream may read them), and requires neither. Era and Version
// are as ParseRaw sets them. A header present more than once, empty, or
// malformed is an error as in ParseRaw.
func (p *Parser) ParseRawAll(r *Raw) (Headers, error) {
	if err := r.duplicated(); err != nil {
		return Headers{}, err
	}
	h := Headers{Era: EraOf(r.version), Version: r.version}
	var prob Problem
	if r.nMethod == 1 {
		if h.Method, prob = decodeValue(r.method, &p.method); prob != ProblemNone {
			return Headers{}, headerError(idxMethod, prob)
		}
	}
	if r.nName == 1 {
		if h.Name, prob = decodeValue(r.name, &p.name); prob != ProblemNone {
			return Headers{}, headerError(idxName, prob)
		}
	}
	return h, nil
}

// Union returns the Need of every scope that any of needs names, in order,
// each once: what a batch of messages needs (JSON-RPC 2.0 §6; the 2025-03-26
// Streamable HTTP transport). It allocates; batches are rare.
func (r *Rules) Union(needs []*Need) *Need {
	if len(needs) == 1 {
		return needs[0]
	}
	lists := make([][]string, len(needs))
	for i, n := range needs {
		lists[i] = n.scopes
	}
	return newNeed(-1, r.im, lists...)
}
