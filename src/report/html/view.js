/* pyheapinspect's HTML report: draws the data blob of the page
 * (<script type="application/json" id="phi-data">, contract in
 * docs/html-data.md) into the sections of the report.
 *
 * Plain JavaScript (ES2017), no library and no build step.  Every text
 * that comes from the target (paths, type names, previews) is set with
 * textContent, as an attribute value or as a title, never as markup:
 * nothing in this file parses a string as HTML.  The page fetches
 * nothing (its Content-Security-Policy forbids it anyway). */
(function () {
	'use strict';

	var SECTIONS = [
		['memory', 'Memory'],
		['dominators', 'Dominator tree'],
		['types', 'Types'],
		['retainers', 'Largest retainers'],
		['suspects', 'Leak suspects'],
		['duplicates', 'Duplicates'],
		['garbage', 'Garbage'],
		['growth', 'Growth']
	];
	var ICICLE_ROW = 24;       /* px per level of the icicle */
	var ICICLE_LEVELS = 14;    /* levels drawn below the focused node */
	var MIN_LABEL_PX = 34;     /* narrower boxes get no text */
	var TABLE_ROWS = 25;       /* rows shown before "Show all" */
	var MAX_PATH_CHARS = 4000; /* a joined path keeps its last 4000 */

	/* ------------------------------------------------------------ DOM */

	/* el('tag.class', {attr: value}, child...): children are nodes or
	 * strings (text nodes); attributes go through setAttribute or, for
	 * text, textContent: never parsed as markup. */
	function el(spec, attrs) {
		var parts = spec.split('.');
		var e = document.createElement(parts[0]);
		if (parts.length > 1)
			e.className = parts.slice(1).join(' ');
		if (attrs) {
			Object.keys(attrs).forEach(function (k) {
				var v = attrs[k];
				if (v === undefined || v === null || v === false)
					return;
				if (k === 'text')
					e.textContent = String(v);
				else if (k === 'onclick')
					e.addEventListener('click', v);
				else
					e.setAttribute(k, v === true ? '' : String(v));
			});
		}
		for (var i = 2; i < arguments.length; i++)
			add(e, arguments[i]);
		return e;
	}

	function add(parent, child) {
		if (child === undefined || child === null || child === false)
			return;
		if (Array.isArray(child))
			child.forEach(function (c) { add(parent, c); });
		else if (typeof child === 'string' || typeof child === 'number')
			parent.appendChild(document.createTextNode(String(child)));
		else
			parent.appendChild(child);
	}

	function clear(e) {
		while (e.firstChild)
			e.removeChild(e.firstChild);
	}

	/* ------------------------------------------------------ formatting */

	function isNum(x) {
		return typeof x === 'number' && isFinite(x);
	}

	function fmtCount(n) {
		return isNum(n) ? Math.round(n).toLocaleString('en-US') : '?';
	}

	function fmtBytes(n) {
		if (!isNum(n))
			return '?';
		var a = Math.abs(n), u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
		while (a >= 1024 && i < u.length - 1) {
			a /= 1024;
			i++;
		}
		var s = i === 0 ? String(Math.round(a)) :
			a.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
		return (n < 0 ? '\u2212' : '') + s + '\u00a0' + u[i];
	}

	function fmtSigned(n, f) {
		if (!isNum(n))
			return '?';
		return (n > 0 ? '+' : n < 0 ? '\u2212' : '\u00b1') + f(Math.abs(n));
	}

	function fmtShare(part, whole) {
		if (!isNum(part) || !isNum(whole) || whole <= 0)
			return '';
		var p = 100 * part / whole;
		if (p > 0 && p < 0.1)
			return '<0.1%';
		return p.toFixed(p >= 10 ? 0 : 1) + '%';
	}

	/* Control characters (newlines, ESC, ...) shown as escapes so a value
	 * stays on its line and cannot restyle anything. */
	function visible(s) {
		if (s === undefined || s === null)
			return '';
		return String(s).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
			function (c) {
				var map = {'\n': '\\n', '\r': '\\r', '\t': '\\t'};
				if (map[c])
					return map[c];
				var h = c.charCodeAt(0).toString(16);
				return c.charCodeAt(0) < 0x100 ?
					'\\x' + ('0' + h).slice(-2) : '\\u' + h;
			});
	}

	/* A figure: <data value="raw">formatted</data>, so that tests and
	 * scripts read the exact number and people the short one. */
	function figure(value, text, name, exact) {
		return el('data', {
			value: isNum(value) ? value : '',
			'data-figure': name,
			title: exact || (isNum(value) ? fmtCount(value) : null),
			text: text
		});
	}

	function bytesFig(n, name) {
		return figure(n, fmtBytes(n), name,
			isNum(n) ? fmtCount(n) + ' bytes' : null);
	}

	function countFig(n, name) {
		return figure(n, fmtCount(n), name);
	}

	function note(text, cls) {
		return el('p.note' + (cls ? '.' + cls : ''), {text: text});
	}

	function missing(what) {
		return el('p.note.missing', {'data-missing': what},
			'Not in this report: ' + what + '.');
	}

	/* ---------------------------------------------------------- tables */

	/* table(columns, rows, opts): a real <table>, sortable by clicking a
	 * column heading.  A column: {key, label, kind ('text' | 'path' |
	 * 'bytes' | 'count' | 'signed-bytes' | 'signed-count' | 'share'),
	 * value(row) (for sorting), cell(row) (a node or text)}. */
	function table(columns, rows, opts) {
		opts = opts || {};
		var limit = opts.limit || TABLE_ROWS;
		var tbody = el('tbody');
		var sortKey = null, sortDir = 0;
		var ths = columns.map(function (c, ci) {
			var numeric = c.kind !== 'text' && c.kind !== 'path';
			var b = el('button.sort', {type: 'button', text: c.label,
				title: c.help || null});
			var th = el('th', {scope: 'col',
				class: numeric ? 'num' : null}, b);
			if (c.sortable === false) {
				clear(th);
				th.textContent = c.label;
				return th;
			}
			b.addEventListener('click', function () {
				sortDir = sortKey === ci ? -sortDir :
					(numeric ? -1 : 1);
				sortKey = ci;
				ths.forEach(function (t) {
					t.removeAttribute('aria-sort');
				});
				th.setAttribute('aria-sort',
					sortDir > 0 ? 'ascending' : 'descending');
				draw();
			});
			return th;
		});
		var more = null, expanded = rows.length <= limit + 5;

		function valueOf(c, r) {
			if (c.value)
				return c.value(r);
			return r[c.key];
		}

		function draw() {
			var list = rows.slice();
			if (sortKey !== null) {
				var c = columns[sortKey];
				list.sort(function (a, b) {
					var x = valueOf(c, a), y = valueOf(c, b);
					if (typeof x === 'string' || typeof y === 'string') {
						x = String(x === undefined ? '' : x);
						y = String(y === undefined ? '' : y);
						return sortDir * x.localeCompare(y);
					}
					x = isNum(x) ? x : -Infinity;
					y = isNum(y) ? y : -Infinity;
					return sortDir * (x - y);
				});
			}
			clear(tbody);
			list.forEach(function (r, i) {
				var tr = el('tr', {hidden: !expanded && i >= limit});
				columns.forEach(function (c) {
					var v = c.cell ? c.cell(r) : cellFor(c, r[c.key]);
					var cls = c.kind === 'path' ? 'path' :
						c.kind === 'text' ? null : 'num';
					tr.appendChild(el('td', {class: cls,
						'data-col': c.key}, v));
				});
				if (opts.rowAttrs)
					opts.rowAttrs(tr, r);
				tbody.appendChild(tr);
			});
		}

		function cellFor(c, v) {
			switch (c.kind) {
			case 'bytes':
				return bytesFig(v);
			case 'count':
				return countFig(v);
			case 'signed-bytes':
				return el('data', {value: isNum(v) ? v : '',
					class: v > 0 ? 'up' : v < 0 ? 'down' : null,
					title: isNum(v) ? fmtCount(v) + ' bytes' : null,
					text: fmtSigned(v, fmtBytes)});
			case 'signed-count':
				return el('data', {value: isNum(v) ? v : '',
					class: v > 0 ? 'up' : v < 0 ? 'down' : null,
					text: fmtSigned(v, fmtCount)});
			default:
				return visible(v);
			}
		}

		draw();
		/* Tables of figures only are as wide as their content. */
		var fit = !columns.some(function (c) { return c.kind === 'path'; });
		var t = el('table' + (opts.cls ? '.' + opts.cls : '') +
			(fit ? '.fit' : ''), null,
			opts.caption ? el('caption', {text: opts.caption}) : null,
			el('thead', null, el('tr', null, ths)), tbody);
		var wrap = el('div.table-wrap', null, t);
		if (!expanded) {
			more = el('button.more', {type: 'button',
				text: 'Show all ' + fmtCount(rows.length) + ' rows'});
			more.addEventListener('click', function () {
				expanded = true;
				wrap.removeChild(more);
				draw();
			});
			wrap.appendChild(more);
		}
		return wrap;
	}

	function pathCell(p) {
		return el('code.path', {text: visible(p)});
	}

	function typeCell(t) {
		return el('span.type', {text: visible(t)});
	}

	/* --------------------------------------------------------- sections */

	function section(id, title, intro) {
		var s = el('section.card', {id: id, 'aria-labelledby': id + '-h'},
			el('h2', {id: id + '-h', text: title}));
		if (intro)
			s.appendChild(el('p.intro', {text: intro}));
		return s;
	}

	function header(d) {
		var t = d.target || {}, h = d.heap || {}, m = d.memory || null;
		var g = d.garbage || null;
		var sub = [];
		if (isNum(t.pid))
			sub.push('process ' + t.pid);
		if (t.python_version)
			sub.push('CPython ' + t.python_version);
		if (t.captured_at)
			sub.push('captured ' + t.captured_at);
		if (isNum(t.pause_ms))
			sub.push('paused ' + t.pause_ms.toFixed(1) + ' ms' +
				(t.frozen === false ? ' (not frozen)' :
					t.consistent === false ? ' (copy not consistent)' :
						''));
		if (t.source === 'snapshot')
			sub.push('from a saved snapshot');
		document.title = 'pyheapinspect: ' +
			(isNum(t.pid) ? 'process ' + t.pid : 'report');
		var cards = [];
		function card(label, node, help) {
			cards.push(el('div.stat', {title: help || null},
				el('div.stat-label', {text: label}), node));
		}
		if (m && m.rss && isNum(m.rss.total))
			card('RSS', bytesFig(m.rss.total, 'rss'),
				'resident memory of the process at the freeze');
		card('objects', countFig(h.objects, 'objects'),
			'objects found in the heap');
		card('heap size', bytesFig(h.total_size, 'total_size'),
			'sum of sys.getsizeof over every object found');
		card('reachable', bytesFig(h.reachable_size, 'reachable_size'),
			'objects some root keeps alive: the dominator tree\'s total');
		if (g && isNum(g.size))
			card('garbage', bytesFig(g.size, 'garbage_size'),
				'unreachable objects only the cyclic GC can free');
		if (isNum(h.duplicates_wasted))
			card('duplicates', bytesFig(h.duplicates_wasted,
				'duplicates_wasted'), 'bytes in equal copies of values');
		var nav = el('nav.toc', {'aria-label': 'Sections'},
			el('ul', null, SECTIONS.map(function (s) {
				return el('li', null, el('a', {href: '#' + s[0],
					text: s[1]}));
			})));
		return el('header.top', null,
			el('div.brand', null,
				el('h1', {text: 'pyheapinspect'}),
				el('p.sub', {text: sub.join(' \u00b7 ')})),
			el('div.stats', null, cards), nav,
			t.python_build || t.interpreter_object ?
				el('p.meta', null,
					t.python_build ? 'Python ' + visible(t.python_build) :
						null,
					t.interpreter_object ? ' \u00b7 ' +
						visible(t.interpreter_object) : null,
					t.layout_source ? ' \u00b7 layouts: ' +
						visible(t.layout_source) : null,
					t.tool_version ? ' \u00b7 pyheapinspect ' +
						visible(t.tool_version) : null) : null);
	}

	/* Memory: RSS by class of mapping, then what is inside the heap. */
	function memorySection(d) {
		var s = section('memory', 'Memory',
			'Where the resident memory (RSS) of the process goes, by ' +
			'kind of mapping, and what the Python heap inside it holds.');
		var m = d.memory;
		if (!m) {
			s.appendChild(missing('the memory breakdown (RSS by mapping, ' +
				'pymalloc, free lists)'));
			return s;
		}
		var rss = m.rss || {};
		if (isNum(rss.total)) {
			s.appendChild(el('p.lead', null, 'RSS ',
				bytesFig(rss.total, 'memory.rss.total'),
				isNum(rss.anonymous) ? [': anonymous ',
					bytesFig(rss.anonymous, 'memory.rss.anonymous')] : null,
				isNum(rss.file) ? [', file ',
					bytesFig(rss.file, 'memory.rss.file')] : null,
				isNum(rss.shmem) && rss.shmem > 0 ? [', shared ',
					bytesFig(rss.shmem, 'memory.rss.shmem')] : null,
				isNum(rss.swap) ? ['; swapped out ',
					bytesFig(rss.swap, 'memory.rss.swap')] : null));
		}
		var classes = Array.isArray(m.classes) ? m.classes : [];
		if (classes.length) {
			var total = isNum(rss.total) ? rss.total :
				classes.reduce(function (a, c) {
					return a + (c.resident || 0);
				}, 0);
			var bar = el('div.stack-bar', {'aria-hidden': 'true'});
			classes.forEach(function (c, i) {
				if (!(c.resident > 0) || total <= 0)
					return;
				var seg = el('div.seg.c' + (i % 8), {
					title: visible(c['class']) + ': ' +
						fmtBytes(c.resident)});
				seg.style.width = (100 * c.resident / total) + '%';
				if (c.resident / total > 0.08)
					seg.textContent = visible(c['class']);
				bar.appendChild(seg);
			});
			s.appendChild(bar);
			s.appendChild(table([
				{key: 'class', label: 'mapping class', kind: 'text',
					cell: function (r) {
						return el('span', null,
							el('span.swatch.c' + classes.indexOf(r) % 8,
								{'aria-hidden': 'true'}),
							visible(r['class']));
					}},
				{key: 'resident', label: 'resident', kind: 'bytes'},
				{key: 'share', label: 'of RSS', kind: 'share',
					value: function (r) { return r.resident; },
					cell: function (r) {
						return fmtShare(r.resident, total);
					}},
				{key: 'mappings', label: 'mappings', kind: 'count'},
				{key: 'hint', label: 'what it means', kind: 'text',
					sortable: false,
					cell: function (r) {
						return el('span.hint', {text: visible(r.hint)});
					}}
			], classes, {cls: 'mem'}));
		} else {
			s.appendChild(missing('RSS by class of mapping'));
		}
		s.appendChild(el('h3', {text: 'Inside the heap'}));
		var rows = [], absent = [];
		var o = m.objects || {};
		function row(label, value, hint, name) {
			rows.push({label: label, value: value, hint: hint, name: name});
		}
		if (isNum(o.getsizeof))
			row('live objects (sys.getsizeof)', o.getsizeof,
				fmtCount(o.count) + ' objects, as sys.getsizeof counts them',
				'memory.objects.getsizeof');
		if (isNum(o.allocated))
			row('live objects (allocated)', o.allocated,
				'what the allocator gave them: pymalloc size classes, ' +
				'malloc chunks, GC headers', 'memory.objects.allocated');
		else
			absent.push('allocator-true object sizes');
		var pm = m.pymalloc;
		if (pm && isNum(pm.bytes_in_available_blocks))
			row('free pymalloc blocks', pm.bytes_in_available_blocks,
				'kept in partly used pools: reused by new small objects, ' +
				'never returned to the system', 'memory.pymalloc.free');
		else
			absent.push('pymalloc statistics');
		var fl = Array.isArray(m.free_lists) ? m.free_lists : null;
		if (fl) {
			row('free lists', isNum(m.free_lists_bytes) ?
				m.free_lists_bytes : fl.reduce(function (a, f) {
					return a + (f.bytes || 0);
				}, 0), 'dead objects kept for reuse (floats, tuples, ' +
				'frames, ...): a full gc.collect() empties them',
				'memory.free_lists');
		} else {
			absent.push('free lists');
		}
		var g = d.garbage;
		if (g && isNum(g.size))
			row('garbage', g.size, fmtCount(g.objects) + ' unreachable ' +
				'objects waiting for the cyclic GC (see Garbage)',
				'memory.garbage');
		if (isNum(m.unexplained))
			row('unexplained', m.unexplained, 'RSS not accounted for ' +
				'above: native buffers, allocator overhead, fragmentation',
				'memory.unexplained');
		if (rows.length) {
			s.appendChild(table([
				{key: 'label', label: 'part', kind: 'text'},
				{key: 'value', label: 'bytes', kind: 'bytes',
					cell: function (r) {
						return bytesFig(r.value, r.name);
					}},
				{key: 'share', label: 'of RSS', kind: 'share',
					value: function (r) { return r.value; },
					cell: function (r) {
						return fmtShare(r.value, rss.total);
					}},
				{key: 'hint', label: 'what it means', kind: 'text',
					sortable: false, cell: function (r) {
						return el('span.hint', {text: r.hint});
					}}
			], rows, {cls: 'mem'}));
		}
		if (pm)
			s.appendChild(pymallocPart(pm));
		if (fl && fl.length)
			s.appendChild(el('details', null,
				el('summary', {text: 'Free lists (' + fl.length + ')'}),
				table([
					{key: 'name', label: 'free list', kind: 'text',
						value: function (r) {
							return r.name + (isNum(r.length) ?
								' (' + r.length + ')' : '');
						},
						cell: function (r) {
							return visible(r.name) + (isNum(r.length) ?
								' of length ' + r.length : '');
						}},
					{key: 'count', label: 'entries', kind: 'count'},
					{key: 'bytes', label: 'bytes', kind: 'bytes'}
				], fl, {limit: 40})));
		if (m.gc)
			s.appendChild(gcPart(m.gc));
		else
			absent.push('the GC\'s state');
		if (m.malloc)
			s.appendChild(mallocPart(m.malloc));
		else
			absent.push('glibc malloc\'s state');
		if (absent.length)
			s.appendChild(missing(absent.join(', ')));
		(m.notes || []).forEach(function (n) {
			s.appendChild(note(visible(n), 'data-note'));
		});
		return s;
	}

	function pymallocPart(pm) {
		var keys = [
			['arenas_current', 'arenas in use', 'count'],
			['arenas_highwater', 'arenas at most', 'count'],
			['arenas_allocated_total', 'arenas ever allocated', 'count'],
			['arenas_reclaimed', 'arenas returned', 'count'],
			['bytes_in_allocated_blocks', 'in allocated blocks', 'bytes'],
			['bytes_in_available_blocks', 'in free blocks', 'bytes'],
			['unused_pools', 'unused pools', 'count'],
			['bytes_lost_to_pool_headers', 'pool headers', 'bytes'],
			['bytes_lost_to_quantization', 'quantization', 'bytes'],
			['bytes_lost_to_arena_alignment', 'arena alignment', 'bytes']
		];
		var dl = el('dl.kv');
		keys.forEach(function (k) {
			if (!isNum(pm[k[0]]))
				return;
			dl.appendChild(el('div', null, el('dt', {text: k[1]}),
				el('dd', null, k[2] === 'bytes' ?
					bytesFig(pm[k[0]], 'memory.pymalloc.' + k[0]) :
					countFig(pm[k[0]], 'memory.pymalloc.' + k[0]))));
		});
		var out = el('div.pymalloc', null,
			el('h3', {text: 'pymalloc'}), dl);
		if (Array.isArray(pm.classes) && pm.classes.length) {
			out.appendChild(el('details', null,
				el('summary', {text: 'Size classes (' + pm.classes.length +
					')'}),
				table([
					{key: 'size', label: 'block size', kind: 'bytes'},
					{key: 'pools', label: 'pools', kind: 'count'},
					{key: 'blocks_in_use', label: 'blocks in use',
						kind: 'count'},
					{key: 'avail_blocks', label: 'free blocks',
						kind: 'count'}
				], pm.classes, {limit: 64})));
		}
		return out;
	}

	function mallocPart(ml) {
		var keys = [
			['system', 'from the system', 'bytes'],
			['in_use', 'in use', 'bytes'],
			['free', 'free in bins', 'bytes'],
			['tcache_bytes', 'in tcaches', 'bytes'],
			['mmapped', 'mapped chunks', 'bytes'],
			['mmapped_chunks', 'chunks mapped', 'count'],
			['arenas', 'arenas', 'count']
		];
		var dl = el('dl.kv');
		keys.forEach(function (k) {
			if (!isNum(ml[k[0]]))
				return;
			dl.appendChild(el('div', null, el('dt', {text: k[1]}),
				el('dd', null, k[2] === 'bytes' ?
					bytesFig(ml[k[0]], 'memory.malloc.' + k[0]) :
					countFig(ml[k[0]], 'memory.malloc.' + k[0]))));
		});
		return el('div.malloc', null,
			el('h3', {text: 'C library malloc' + (ml.method ?
				' (' + visible(ml.method) + ')' : '')}), dl);
	}

	function gcPart(gc) {
		var dl = el('dl.kv');
		function item(label, v) {
			dl.appendChild(el('div', null, el('dt', {text: label}),
				el('dd', {text: v})));
		}
		if (typeof gc.enabled === 'boolean')
			item('collection', gc.enabled ? 'enabled' :
				'disabled (gc.disable())');
		if (Array.isArray(gc.thresholds))
			item('thresholds', gc.thresholds.join(', '));
		if (Array.isArray(gc.counts))
			item('counts', gc.counts.join(', '));
		if (Array.isArray(gc.generations))
			item('objects per generation',
				gc.generations.map(fmtCount).join(', '));
		if (isNum(gc.permanent))
			item('permanent generation', fmtCount(gc.permanent));
		if (typeof gc.collecting === 'boolean')
			item('collecting now', gc.collecting ? 'yes' : 'no');
		return el('div.gc', null, el('h3', {text: 'Garbage collector'}),
			dl);
	}

	/* ----------------------------------------------------------- icicle */

	/* The tree of the blob: nodes[i].id == i, parents before children.
	 * Returns null and says why when the blob breaks that. */
	function buildTree(t) {
		var nodes = t && Array.isArray(t.nodes) ? t.nodes : null;
		if (!nodes || !nodes.length)
			return {error: 'the blob has no tree nodes'};
		var kids = nodes.map(function () { return []; });
		for (var i = 0; i < nodes.length; i++) {
			var n = nodes[i];
			if (!n || n.id !== i)
				return {error: 'node ' + i + ' has id ' + (n && n.id)};
			if (i === 0) {
				if (n.parent !== null && n.parent !== undefined)
					return {error: 'node 0 has a parent'};
				continue;
			}
			if (!(n.parent >= 0 && n.parent < i))
				return {error: 'node ' + i + ' has parent ' + n.parent};
			if (!isNum(n.retained) || n.retained < 0)
				return {error: 'node ' + i + ' has no retained size'};
			kids[n.parent].push(i);
		}
		kids.forEach(function (k) {
			k.sort(function (a, b) {
				var oa = nodes[a].kind === 'other' ? 1 : 0;
				var ob = nodes[b].kind === 'other' ? 1 : 0;
				return oa - ob || nodes[b].retained - nodes[a].retained ||
					a - b;
			});
		});
		var paths = [];
		function pathOf(i) {
			if (paths[i] !== undefined)
				return paths[i];
			/* Iterative: walk up to the first known path. */
			var chain = [], j = i;
			while (j > 0 && paths[j] === undefined) {
				chain.push(j);
				j = nodes[j].parent;
			}
			var p = j > 0 ? paths[j] : '';
			for (var k = chain.length - 1; k >= 0; k--) {
				var n = nodes[chain[k]];
				if (typeof n.path === 'string')
					p = n.path;
				else if (n.kind === 'other')
					p = p + ' \u2026';
				else
					p = p + (typeof n.label === 'string' ? n.label : '');
				/* A chain of thousands of nodes must not make
				 * thousands of ever longer strings. */
				if (p.length > MAX_PATH_CHARS)
					p = '\u2026' + p.slice(-MAX_PATH_CHARS);
				paths[chain[k]] = p;
			}
			return i === 0 ? '' : paths[i];
		}
		return {nodes: nodes, kids: kids, pathOf: pathOf};
	}

	function nodeName(n) {
		if (n.kind === 'other')
			return fmtCount(n.count) + ' smaller object' +
				(n.count === 1 ? '' : 's') +
				(n.type ? ', mostly' : '');
		if (n.parent === null || n.parent === undefined)
			return 'all roots';
		return visible(n.label || '');
	}

	/* A stable colour per type: pastel hues from a hash of the name. */
	function hue(type) {
		var h = 2166136261;
		var s = String(type || '');
		for (var i = 0; i < s.length; i++) {
			h ^= s.charCodeAt(i);
			h = Math.imul(h, 16777619) >>> 0;
		}
		return h % 360;
	}

	function dominatorSection(d) {
		var s = section('dominators', 'Dominator tree',
			'Each box is an object, as wide as the memory it alone keeps ' +
			'alive (its retained size); under it, the objects it ' +
			'dominates. Click a box to zoom into it, the top box or the ' +
			'trail to go back.');
		var tr = buildTree(d.tree);
		if (tr.error) {
			s.appendChild(d.tree ? el('p.note.error', {text:
				'The tree cannot be drawn: ' + tr.error + '.'}) :
				missing('the dominator tree'));
			return s;
		}
		var nodes = tr.nodes, total = nodes[0].retained || 0;
		var t = d.tree;
		if (isNum(t.threshold) || isNum(t.max_nodes))
			s.appendChild(note('Objects retaining less than ' +
				fmtBytes(t.threshold) + ' (' +
				fmtShare(t.threshold, total) +
				' of the reachable heap) are summed into \u201cN smaller ' +
				'objects\u201d boxes; at most ' + fmtCount(t.max_nodes) +
				' objects are drawn.', 'prune'));
		var crumbs = el('nav.crumbs', {'aria-label': 'Position in the tree'});
		var box = el('div.icicle', {role: 'group',
			'aria-label': 'Dominator tree, drawn as an icicle'});
		var info = el('div.node-info', {'aria-live': 'polite'});
		var kidsWrap = el('div.kids');
		s.appendChild(crumbs);
		s.appendChild(box);
		s.appendChild(el('div.below', null, info, kidsWrap));
		var focus = 0, selected = 0;

		function label(i) {
			var n = nodes[i];
			return nodeName(n) + (n.type ? ' ' + visible(n.type) : '');
		}

		function tooltip(i) {
			var n = nodes[i];
			return (i === 0 ? 'all roots' : visible(tr.pathOf(i))) + '\n' +
				(n.type ? visible(n.type) + ' \u00b7 ' : '') + 'retains ' +
				fmtBytes(n.retained) + ' (' + fmtShare(n.retained, total) +
				')' + (isNum(n.size) && n.kind !== 'other' ?
				' \u00b7 own size ' + fmtBytes(n.size) : '');
		}

		function drawCrumbs() {
			clear(crumbs);
			var chain = [], j = focus;
			while (j !== null && j !== undefined) {
				chain.unshift(j);
				j = j === 0 ? null : nodes[j].parent;
			}
			var ol = el('ol', null, el('li.crumb-label', {text: 'Zoom:'}));
			chain.forEach(function (i, k) {
				var last = k === chain.length - 1;
				var text = i === 0 ? 'all roots' : nodeName(nodes[i]);
				ol.appendChild(el('li', null, last ?
					el('span', {'aria-current': 'location', text: text,
						title: tooltip(i)}) :
					el('button', {type: 'button', text: text,
						title: tooltip(i),
						onclick: function () { zoom(i); }})));
			});
			crumbs.appendChild(ol);
		}

		function drawBoxes() {
			clear(box);
			var width = box.clientWidth || 1000;
			var root = nodes[focus];
			var scale = root.retained > 0 ? width / root.retained : 0;
			var stack = [[focus, 0, 0]], deepest = 0;
			while (stack.length) {
				var top = stack.pop();
				var i = top[0], x = top[1], depth = top[2];
				var n = nodes[i];
				var w = depth === 0 ? width : n.retained * scale;
				if (w < 1)
					continue;
				deepest = Math.max(deepest, depth);
				var b = el('div.node' + (n.kind === 'other' ? '.other' : '') +
					(i === selected ? '.selected' : ''), {
					'data-id': i,
					'data-path': i === 0 ? '' : tr.pathOf(i),
					'data-type': n.type || '',
					'data-retained': n.retained,
					title: tooltip(i)});
				b.style.left = x + 'px';
				b.style.top = depth * ICICLE_ROW + 'px';
				b.style.width = Math.max(w - 1, 1) + 'px';
				/* Lighter with depth, so that a dict under a dict
				 * still reads as two boxes. */
				if (n.kind !== 'other' && i !== 0)
					b.style.backgroundColor = 'hsl(' + hue(n.type) +
						', 50%, ' + Math.min(76 + 2 * depth, 90) + '%)';
				if (w >= MIN_LABEL_PX) {
					b.appendChild(el('span.l', {text: i === 0 ?
						'all roots' : nodeName(n)}));
					if (n.type)
						b.appendChild(el('span.t', {text: visible(n.type)}));
					b.appendChild(el('span.b', {text: fmtBytes(n.retained)}));
				}
				box.appendChild(b);
				if (depth + 1 > ICICLE_LEVELS)
					continue;
				var cx = x, k = tr.kids[i];
				var pending = [];
				for (var c = 0; c < k.length; c++) {
					pending.push([k[c], cx, depth + 1]);
					cx += nodes[k[c]].retained * scale;
				}
				for (c = pending.length - 1; c >= 0; c--)
					stack.push(pending[c]);
			}
			box.style.height = (deepest + 1) * ICICLE_ROW + 'px';
		}

		function drawInfo() {
			clear(info);
			var n = nodes[selected];
			var parent = selected === 0 ? null : nodes[n.parent];
			var dl = el('dl.kv');
			function item(label, v, cls) {
				dl.appendChild(el('div' + (cls ? '.' + cls : ''), null,
					el('dt', {text: label}), el('dd', null, v)));
			}
			item('path', selected === 0 ? 'all roots' :
				pathCell(tr.pathOf(selected)), 'wide');
			if (n.type)
				item('type', typeCell(n.type));
			if (n.address)
				item('address', el('code', {text: visible(n.address)}));
			item('retained', [bytesFig(n.retained, 'selected.retained'),
				' (' + fmtShare(n.retained, total) + ' of the heap' +
				(parent ? ', ' + fmtShare(n.retained, parent.retained) +
					' of its dominator' : '') + ')']);
			if (isNum(n.size) && n.kind !== 'other' && selected !== 0)
				item('own size', bytesFig(n.size, 'selected.size'));
			if (isNum(n.objects))
				item(n.kind === 'other' ? 'objects in them' :
					'objects it keeps', countFig(n.objects));
			if (n.kind === 'other')
				item('what', fmtCount(n.count) + ' objects dominated by ' +
					'the box above, each retaining less than the ' +
					'threshold' + (n.type ? ', most of them ' +
					visible(n.type) : '') + '; about ' +
					fmtBytes(n.retained / Math.max(n.count, 1)) + ' each');
			info.appendChild(el('h3', {text: selected === focus ?
				'Zoomed on' : 'Selected'}));
			info.appendChild(dl);
		}

		function drawKids() {
			clear(kidsWrap);
			var k = tr.kids[focus];
			if (!k.length)
				return;
			var rows = k.map(function (i) { return nodes[i]; });
			kidsWrap.appendChild(el('h3', {text: 'Dominated by ' +
				(focus === 0 ? 'the roots' : 'this object')}));
			kidsWrap.appendChild(table([
				{key: 'label', label: 'step', kind: 'path',
					value: function (r) { return nodeName(r); },
					cell: function (r) {
						var b = el('button.link', {type: 'button',
							title: tooltip(r.id), text: nodeName(r)});
						b.addEventListener('click', function () {
							if (tr.kids[r.id].length)
								zoom(r.id);
							else
								select(r.id);
						});
						return b;
					}},
				{key: 'type', label: 'type', kind: 'text',
					cell: function (r) { return typeCell(r.type || ''); }},
				{key: 'retained', label: 'retained', kind: 'bytes'},
				{key: 'share', label: 'share', kind: 'share',
					value: function (r) { return r.retained; },
					cell: function (r) {
						return fmtShare(r.retained, nodes[focus].retained);
					}},
				{key: 'objects', label: 'objects', kind: 'count'}
			], rows, {limit: 12, cls: 'kids-table'}));
		}

		function zoom(i) {
			focus = i;
			selected = i;
			drawCrumbs();
			drawBoxes();
			drawInfo();
			drawKids();
		}

		function select(i) {
			selected = i;
			drawBoxes();
			drawInfo();
		}

		box.addEventListener('click', function (ev) {
			var t = ev.target.closest ? ev.target.closest('.node') : null;
			if (!t)
				return;
			var i = Number(t.getAttribute('data-id'));
			if (i === focus && focus !== 0)
				zoom(nodes[focus].parent);
			else if (tr.kids[i] && tr.kids[i].length)
				zoom(i);
			else
				select(i);
		});
		var pending = false;
		window.addEventListener('resize', function () {
			if (pending)
				return;
			pending = true;
			window.requestAnimationFrame(function () {
				pending = false;
				drawBoxes();
			});
		});
		/* Drawn once the section is in the document (widths known). */
		s.phiDraw = function () { zoom(0); };
		return s;
	}

	/* ----------------------------------------------- the other sections */

	function typesSection(d) {
		var s = section('types', 'Types',
			'Every type with instances, by the memory its instances take ' +
			'(sys.getsizeof).');
		var rows = Array.isArray(d.types) ? d.types : null;
		if (!rows) {
			s.appendChild(missing('the type histogram'));
			return s;
		}
		var total = d.heap && d.heap.total_size;
		var hasAlloc = rows.some(function (r) { return isNum(r.allocated); });
		var hasRet = rows.some(function (r) { return isNum(r.retained); });
		var cols = [
			{key: 'type', label: 'type', kind: 'text',
				cell: function (r) { return typeCell(r.type); }},
			{key: 'count', label: 'count', kind: 'count'},
			{key: 'size', label: 'size', kind: 'bytes'},
			{key: 'share', label: 'of heap', kind: 'share',
				value: function (r) { return r.size; },
				cell: function (r) { return fmtShare(r.size, total); }},
			{key: 'mean', label: 'mean', kind: 'bytes',
				value: function (r) {
					return r.count ? r.size / r.count : 0;
				},
				cell: function (r) {
					return bytesFig(r.count ? Math.round(r.size / r.count) :
						0);
				}}
		];
		if (hasAlloc)
			cols.splice(3, 0, {key: 'allocated', label: 'allocated',
				kind: 'bytes'});
		if (hasRet)
			cols.push({key: 'retained', label: 'retained', kind: 'bytes'});
		s.appendChild(table(cols, rows, {
			rowAttrs: function (tr, r) {
				tr.setAttribute('data-type', r.type);
			}}));
		var om = d.types_omitted;
		if (om && om.types)
			s.appendChild(note(fmtCount(om.types) + ' smaller types (' +
				fmtCount(om.count) + ' objects, ' + fmtBytes(om.size) +
				') are not listed.'));
		return s;
	}

	function pathRows(tr, r) {
		tr.setAttribute('data-path', r.path || '');
	}

	function retainersSection(d) {
		var s = section('retainers', 'Largest retainers',
			'The objects that keep the most memory alive: what would be ' +
			'freed if each went, with the shortest path from a root.');
		var rows = Array.isArray(d.retainers) ? d.retainers : null;
		if (!rows) {
			s.appendChild(missing('the largest retainers'));
			return s;
		}
		var total = d.heap && d.heap.reachable_size;
		s.appendChild(table([
			{key: 'path', label: 'path', kind: 'path',
				cell: function (r) { return pathCell(r.path); }},
			{key: 'type', label: 'type', kind: 'text',
				cell: function (r) { return typeCell(r.type); }},
			{key: 'size', label: 'own size', kind: 'bytes'},
			{key: 'retained', label: 'retained', kind: 'bytes'},
			{key: 'share', label: 'of reachable', kind: 'share',
				value: function (r) { return r.retained; },
				cell: function (r) { return fmtShare(r.retained, total); }}
		], rows, {rowAttrs: pathRows}));
		return s;
	}

	function suspectsSection(d) {
		var s = section('suspects', 'Leak suspects',
			'Objects whose retained share of the heap is above the ' +
			'threshold: where to look first for a leak.');
		var rows = Array.isArray(d.suspects) ? d.suspects : null;
		if (!rows) {
			s.appendChild(missing('leak suspects'));
			return s;
		}
		if (!rows.length) {
			s.appendChild(note('No object retains more than the threshold.'));
			return s;
		}
		s.appendChild(table([
			{key: 'path', label: 'path', kind: 'path',
				cell: function (r) { return pathCell(r.path); }},
			{key: 'type', label: 'type', kind: 'text',
				cell: function (r) { return typeCell(r.type); }},
			{key: 'retained', label: 'retained', kind: 'bytes'},
			{key: 'share', label: 'share', kind: 'share',
				cell: function (r) {
					return isNum(r.share) ? fmtShare(r.share, 1) : '';
				}},
			{key: 'items', label: 'what it holds', kind: 'text',
				sortable: false, cell: function (r) {
					var it = r.items;
					if (!it)
						return visible(r.reason || '');
					return fmtCount(it.count) + ' objects, mostly ' +
						visible(it.type) + ', of about ' +
						fmtBytes(it.mean) + ' each';
				}}
		], rows, {rowAttrs: pathRows}));
		return s;
	}

	function duplicatesSection(d) {
		var s = section('duplicates', 'Duplicates',
			'Distinct objects holding equal values (str, bytes, int, ' +
			'float, tuples of scalars): memory that sharing one copy, ' +
			'e.g. with sys.intern, would save.');
		var rows = Array.isArray(d.duplicates) ? d.duplicates : null;
		if (!rows) {
			s.appendChild(missing('duplicates'));
			return s;
		}
		var h = d.heap || {};
		if (isNum(h.duplicates_wasted))
			s.appendChild(el('p.lead', null,
				bytesFig(h.duplicates_wasted, 'duplicates.wasted'),
				' in ', countFig(h.duplicate_groups, 'duplicates.groups'),
				' groups of equal values' + (rows.length <
					h.duplicate_groups ? ' (the ' + rows.length +
					' most wasteful below)' : '') + '.'));
		s.appendChild(table([
			{key: 'type', label: 'type', kind: 'text',
				cell: function (r) { return typeCell(r.type); }},
			{key: 'preview', label: 'value', kind: 'path',
				cell: function (r) {
					return r.preview === undefined || r.preview === null ?
						el('span.dim', {text: '(not shown)'}) :
						pathCell(r.preview);
				}},
			{key: 'count', label: 'copies', kind: 'count'},
			{key: 'size', label: 'one copy', kind: 'bytes'},
			{key: 'wasted', label: 'wasted', kind: 'bytes'}
		], rows));
		return s;
	}

	function garbageSection(d) {
		var s = section('garbage', 'Garbage',
			'Objects no root reaches and nothing outside the heap holds: ' +
			'reference cycles that only the cyclic garbage collector can ' +
			'free.');
		var g = d.garbage;
		if (!g) {
			s.appendChild(missing('garbage'));
			return s;
		}
		if (!g.objects) {
			s.appendChild(note('No garbage: every object found is ' +
				'reachable from a root.'));
			return s;
		}
		s.appendChild(el('p.lead', null,
			countFig(g.objects, 'garbage.objects'), ' objects, ',
			bytesFig(g.size, 'garbage.size'),
			isNum(g.allocated) ? [' (', bytesFig(g.allocated,
				'garbage.allocated'), ' allocated)'] : null,
			isNum(g.cycle_count) ? [' in ',
				countFig(g.cycle_count, 'garbage.cycles'),
				g.cycle_count === 1 ? ' cycle' : ' cycles'] : null,
			isNum(g.shapes) ? [' of ', countFig(g.shapes, 'garbage.shapes'),
				g.shapes === 1 ? ' shape' :
				' shapes'] : null,
			'.'));
		if (Array.isArray(g.cycles) && g.cycles.length) {
			s.appendChild(el('h3', {text: 'Largest cycles, by shape'}));
			s.appendChild(table([
				{key: 'path', label: 'around the cycle', kind: 'path',
					cell: function (r) { return pathCell(r.path); }},
				{key: 'type', label: 'from', kind: 'text',
					cell: function (r) { return typeCell(r.type); }},
				{key: 'count', label: 'cycles', kind: 'count'},
				{key: 'length', label: 'objects around', kind: 'count'},
				{key: 'objects', label: 'objects', kind: 'count'},
				{key: 'size', label: 'size', kind: 'bytes'}
			], g.cycles, {rowAttrs: pathRows}));
		}
		if (Array.isArray(g.types) && g.types.length) {
			s.appendChild(el('h3', {text: 'What it is made of'}));
			s.appendChild(table([
				{key: 'type', label: 'type', kind: 'text',
					cell: function (r) { return typeCell(r.type); }},
				{key: 'count', label: 'count', kind: 'count'},
				{key: 'size', label: 'size', kind: 'bytes'}
			], g.types, {limit: 10}));
		}
		return s;
	}

	function growthSection(d) {
		var s = section('growth', 'Growth',
			'What changed since the baseline capture: retained size per ' +
			'stable path (list indices and addresses masked), where the ' +
			'growth accumulates, count and size per type, the memory ' +
			'breakdown and tracemalloc\'s lines.');
		var g = d.growth;
		if (!g) {
			s.appendChild(missing('growth (run with --baseline FILE to ' +
				'compare with an earlier capture)'));
			return s;
		}
		var b = g.baseline || {};
		if (b.captured_at || isNum(b.objects))
			s.appendChild(el('p.lead', null, 'Baseline' +
				(b.captured_at ? ' captured ' + visible(b.captured_at) :
					'') +
				(isNum(b.objects) ? ': ' + fmtCount(b.objects) +
					' objects, ' + fmtBytes(b.total_size) : '') + '.'));
		if (isNum(g.objects_delta))
			s.appendChild(el('p', null, 'Since then: objects ',
				signedFig(g.objects_delta, fmtCount,
					'growth.objects_delta'),
				', sys.getsizeof total ', signedFig(g.total_size_delta,
					fmtBytes, 'growth.total_size_delta'),
				', reachable ', signedFig(g.reachable_size_delta,
					fmtBytes, 'growth.reachable_size_delta'),
				isNum(g.rss_delta) ? [', RSS ', signedFig(g.rss_delta,
					fmtBytes, 'growth.rss_delta')] : null, '.'));
		var sus = Array.isArray(g.suspects) ? g.suspects : [];
		s.appendChild(el('h3', {text: 'Growth suspects'}));
		if (sus.length)
			s.appendChild(table([
				{key: 'path', label: 'where the growth accumulates',
					kind: 'path',
					cell: function (r) { return pathCell(r.path); }},
				{key: 'type', label: 'type', kind: 'text',
					cell: function (r) { return typeCell(r.type); }},
				{key: 'before', label: 'before', kind: 'bytes'},
				{key: 'after', label: 'after', kind: 'bytes'},
				{key: 'delta', label: 'change', kind: 'signed-bytes'}
			], sus, {cls: 'suspects', rowAttrs: pathRows}));
		else
			s.appendChild(note('No growth suspect.'));
		var paths = Array.isArray(g.paths) ? g.paths : [];
		s.appendChild(el('h3', {text: 'Paths'}));
		if (paths.length)
			s.appendChild(table([
				{key: 'path', label: 'path', kind: 'path',
					cell: function (r) { return pathCell(r.path); }},
				{key: 'before', label: 'before', kind: 'bytes'},
				{key: 'after', label: 'after', kind: 'bytes'},
				{key: 'delta', label: 'change', kind: 'signed-bytes'}
			], paths, {rowAttrs: pathRows}));
		else
			s.appendChild(note('No path changed its retained size.'));
		var types = Array.isArray(g.types) ? g.types : [];
		s.appendChild(el('h3', {text: 'Types'}));
		if (types.length)
			s.appendChild(table([
				{key: 'type', label: 'type', kind: 'text',
					cell: function (r) { return typeCell(r.type); }},
				{key: 'count_delta', label: 'count change',
					kind: 'signed-count'},
				{key: 'size_delta', label: 'size change',
					kind: 'signed-bytes'},
				{key: 'count', label: 'count now', kind: 'count'},
				{key: 'size', label: 'size now', kind: 'bytes'}
			], types, {rowAttrs: function (tr, r) {
				tr.setAttribute('data-type', r.type);
			}}));
		else
			s.appendChild(note('No type changed.'));
		growthMemory(s, g.memory);
		growthSites(s, g);
		return s;
	}

	function signedFig(n, f, name) {
		return el('data', {value: isNum(n) ? n : '', 'data-figure': name,
			class: n > 0 ? 'up' : n < 0 ? 'down' : null,
			title: isNum(n) ? fmtCount(n) : null,
			text: fmtSigned(n, f)});
	}

	function growthMemory(s, m) {
		s.appendChild(el('h3', {text: 'Memory'}));
		if (!m) {
			s.appendChild(missing('the memory breakdown of both captures'));
			return;
		}
		var rows = [];
		if (isNum(m.rss_delta))
			rows.push({part: 'RSS', before: m.rss_before,
				after: m.rss_after, delta: m.rss_delta});
		(m.classes || []).forEach(function (c) {
			rows.push({part: c['class'], before: c.before, after: c.after,
				delta: c.delta});
		});
		if (rows.length)
			s.appendChild(table([
				{key: 'part', label: 'resident', kind: 'text'},
				{key: 'before', label: 'before', kind: 'bytes'},
				{key: 'after', label: 'after', kind: 'bytes'},
				{key: 'delta', label: 'change', kind: 'signed-bytes'}
			], rows, {cls: 'mem'}));
		s.appendChild(el('p', null, 'Live objects ',
			signedFig(m.objects_delta, fmtCount,
				'growth.memory.objects_delta'), ' (',
			signedFig(m.getsizeof_delta, fmtBytes,
				'growth.memory.getsizeof_delta'), ' sys.getsizeof',
			isNum(m.allocated_delta) ? [', ', signedFig(m.allocated_delta,
				fmtBytes, 'growth.memory.allocated_delta'),
				' allocated'] : null, '); garbage ',
			signedFig(m.garbage_objects_delta, fmtCount,
				'growth.memory.garbage_objects_delta'), ' objects (',
			signedFig(m.garbage_size_delta, fmtBytes,
				'growth.memory.garbage_size_delta'), ').'));
	}

	function growthSites(s, g) {
		s.appendChild(el('h3', {text: 'Allocation sites'}));
		if (!Array.isArray(g.sites)) {
			s.appendChild(missing('growth by allocation site (both ' +
				'captures need tracemalloc\'s traces)'));
			return;
		}
		if (!g.sites.length) {
			s.appendChild(note('No allocation site changed.'));
			return;
		}
		s.appendChild(table([
			{key: 'site', label: 'line (as Snapshot.compare_to)',
				kind: 'path',
				value: function (r) { return r.filename + ':' + r.lineno; },
				cell: function (r) {
					return pathCell(r.filename + ':' + r.lineno);
				}},
			{key: 'size_delta', label: 'size change', kind: 'signed-bytes'},
			{key: 'count_delta', label: 'blocks change',
				kind: 'signed-count'},
			{key: 'size', label: 'size now', kind: 'bytes'},
			{key: 'count', label: 'blocks now', kind: 'count'}
		], g.sites, {rowAttrs: function (tr, r) {
			tr.setAttribute('data-path', r.filename + ':' + r.lineno);
		}}));
	}

	/* ------------------------------------------------------------- main */

	function fail(app, why) {
		clear(app);
		app.appendChild(el('div.card.error', {role: 'alert'},
			el('h1', {text: 'pyheapinspect report'}),
			el('p', {text: 'This report cannot be shown: ' + why + '.'})));
	}

	function main() {
		var app = document.getElementById('phi-app');
		var blob = document.getElementById('phi-data');
		var d;
		try {
			d = JSON.parse(blob ? blob.textContent : '');
		} catch (e) {
			fail(app, 'its data is not valid JSON (' + e.message + ')');
			return;
		}
		if (!d || typeof d !== 'object' || d.schema_version !== 1) {
			fail(app, 'its data has schema version ' +
				(d && d.schema_version) + ', this page reads version 1');
			return;
		}
		app.appendChild(header(d));
		var main = el('main');
		(d.notes || []).forEach(function (n) {
			main.appendChild(note(visible(n), 'data-note'));
		});
		var builders = [memorySection, dominatorSection, typesSection,
			retainersSection, suspectsSection, duplicatesSection,
			garbageSection, growthSection];
		var drawn = [];
		builders.forEach(function (b, i) {
			var s;
			try {
				s = b(d);
			} catch (e) {
				/* One bad section must not hide the others. */
				s = section(SECTIONS[i][0], SECTIONS[i][1]);
				s.appendChild(el('p.note.error', {text:
					'This section cannot be shown: ' + e.message}));
			}
			main.appendChild(s);
			if (s.phiDraw)
				drawn.push(s.phiDraw);
		});
		app.appendChild(main);
		app.appendChild(el('footer', null, visible(d.generator ||
			'pyheapinspect') + ' \u00b7 schema ' + d.schema_version));
		drawn.forEach(function (f) { f(); });
		var root = document.documentElement;
		/* For a screenshot of the whole page (html_check.sh). */
		root.setAttribute('data-phi-height',
			Math.ceil(root.scrollHeight));
		root.setAttribute('data-phi-ready', 'true');
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', main);
	else
		main();
}());
