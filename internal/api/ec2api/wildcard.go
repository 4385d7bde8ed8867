package ec2api

// wildcard reports whether s matches an EC2 filter value, in which * stands
// for any run of characters, ? for any one, and a backslash makes the next
// character literal.
//
// It runs the pattern's automaton on all of its states at once, one bit a
// state: each character of s costs len(pattern)/64 word operations whatever
// the pattern, so no value or pattern a client sends can make it backtrack.
func wildcard(pattern, s string) bool {
	g := compileGlob(pattern)
	states := g.start()
	for _, c := range s {
		states = g.step(states, c)
		if states.empty() {
			return false
		}
	}
	return states.has(g.n)
}

// bits is a set of automaton states.
type bits []uint64

func newBits(n int) bits { return make(bits, n/64+1) }

func (b bits) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bits) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

func (b bits) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

// glob is a compiled pattern. State i means "the first i tokens matched";
// state n, all of them.
type glob struct {
	n       int
	star    bits          // states whose next token is *: they stay on any character
	anyChar bits          // states whose next token is ?: they advance on any character
	literal map[rune]bits // states whose next token is that character, or ?
}

func compileGlob(pattern string) *glob {
	type token struct {
		star, any bool
		r         rune
	}
	var toks []token
	escaped := false
	for _, r := range pattern {
		switch {
		case escaped:
			toks = append(toks, token{r: r})
			escaped = false
		case r == '\\':
			escaped = true
		case r == '*':
			// ** is *; dropping repeats keeps each star's closure one step.
			if len(toks) == 0 || !toks[len(toks)-1].star {
				toks = append(toks, token{star: true})
			}
		case r == '?':
			toks = append(toks, token{any: true})
		default:
			toks = append(toks, token{r: r})
		}
	}
	if escaped {
		toks = append(toks, token{r: '\\'})
	}
	g := &glob{n: len(toks), star: newBits(len(toks)), anyChar: newBits(len(toks)), literal: map[rune]bits{}}
	for i, t := range toks {
		switch {
		case t.star:
			g.star.set(i)
		case t.any:
			g.anyChar.set(i)
		default:
			if g.literal[t.r] == nil {
				g.literal[t.r] = newBits(len(toks))
			}
			g.literal[t.r].set(i)
		}
	}
	for _, b := range g.literal {
		for w := range b {
			b[w] |= g.anyChar[w]
		}
	}
	return g
}

func (g *glob) start() bits {
	b := newBits(g.n)
	b.set(0)
	g.closeStars(b)
	return b
}

// step moves every state over one character of the input.
func (g *glob) step(cur bits, c rune) bits {
	advance, ok := g.literal[c]
	if !ok {
		advance = g.anyChar
	}
	next := newBits(g.n)
	var carry uint64
	for w := range cur {
		moved := cur[w] & advance[w]
		next[w] = moved<<1 | carry | cur[w]&g.star[w]
		carry = moved >> 63
	}
	g.closeStars(next)
	return next
}

// closeStars adds, for each state before a *, the state after it: a star
// matches the empty run too.
func (g *glob) closeStars(b bits) {
	var carry uint64
	for w := range b {
		before := b[w] & g.star[w]
		b[w] |= before<<1 | carry
		carry = before >> 63
	}
}
