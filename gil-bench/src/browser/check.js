// The report check, run inside the page once it has loaded (see browser.rs): every chart's
// drawn size, labels that overlap or stick out of their chart, blocks of text that overlap,
// and the script errors the hook in <head> collected. The verdict goes into
// a pre element (id gil-check) as JSON, for `--dump-dom` to print.
window.addEventListener('load', function () {
  var out = { errors: window.__gilErrors || [], charts: [], overlaps: [], clipped: [], height: 0 };
  function box(el) {
    var r = el.getBoundingClientRect();
    return { x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
  }
  // The overlap of two boxes, width and height (0 when apart).
  function overlap(a, b) {
    return {
      w: Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)),
      h: Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0))
    };
  }
  function pairs(where, items) {
    for (var i = 0; i < items.length; i++) {
      for (var j = i + 1; j < items.length; j++) {
        var o = overlap(items[i].box, items[j].box);
        if (o.w > 1 && o.h > 1) {
          out.overlaps.push({ chart: where, a: items[i].text, b: items[j].text, w: o.w, h: o.h });
        }
      }
    }
  }
  try {
    document.querySelectorAll('svg').forEach(function (svg, n) {
      var texts = Array.prototype.slice.call(svg.querySelectorAll('text'));
      var title = texts.length ? texts[0].textContent : 'chart ' + (n + 1);
      var frame = box(svg);
      out.charts.push({ title: title, width: frame.x1 - frame.x0, height: frame.y1 - frame.y0, labels: texts.length });
      var items = texts.map(function (t) { return { text: t.textContent, box: box(t) }; });
      items.forEach(function (it) {
        var b = it.box;
        if (b.x0 < frame.x0 - 1 || b.y0 < frame.y0 - 1 || b.x1 > frame.x1 + 1 || b.y1 > frame.y1 + 1) {
          out.clipped.push({ chart: title, text: it.text });
        }
      });
      pairs(title, items);
    });
    // Headings, paragraphs, captions, tables and charts must not overlap each other either.
    var blocks = Array.prototype.slice.call(document.querySelectorAll('h1, h2, h3, p, li, figcaption, table, svg'));
    var items = blocks.map(function (el) {
      return { el: el, text: el.tagName.toLowerCase() + ': ' + (el.textContent || '').trim().slice(0, 60), box: box(el) };
    });
    for (var i = 0; i < items.length; i++) {
      for (var j = i + 1; j < items.length; j++) {
        if (items[i].el.contains(items[j].el) || items[j].el.contains(items[i].el)) continue;
        var o = overlap(items[i].box, items[j].box);
        if (o.w > 1 && o.h > 1) {
          out.overlaps.push({ chart: 'page', a: items[i].text, b: items[j].text, w: o.w, h: o.h });
        }
      }
    }
  } catch (e) {
    out.errors.push('check script: ' + e);
  }
  out.height = Math.ceil(document.documentElement.scrollHeight);
  var pre = document.createElement('pre');
  pre.id = 'gil-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
