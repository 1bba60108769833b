// OCOP reporting dashboard: reads the JSON API and draws small SVG charts. Written for this
// service (no third-party code, no CDN). Vietnamese by default, English switchable.
(function () {
  "use strict";
  var app = document.getElementById("app");
  var config = JSON.parse(app.getAttribute("data-config"));
  var T = {
    vi: {
      title: "Tiến độ OCOP", province: "Tỉnh/thành", year: "Năm", show: "Xem", lang: "English",
      progress: "Tiến độ theo chỉ tiêu", stars: "Cơ cấu hạng sao", trend: "Sản phẩm mới đạt từ 3 sao trở lên theo năm",
      targets: "Chỉ tiêu", plan: "Kế hoạch", unit: "Địa phương", goal: "Mục tiêu", actual: "Kết quả", standing: "Tình trạng",
      legalForm: "Loại hình chủ thể", count: "Số lượng", sectorName: "Ngành", products: "Số sản phẩm",
      certificate: "Giấy chứng nhận", starLevel: "Hạng sao", validUntil: "Hiệu lực đến",
      star: function (n) { return n + " sao"; },
      files: { progress: "Tiến độ", overview: "Tổng quan" },
      attained: "Đạt", exceeded: "Vượt chỉ tiêu", on_track: "Đúng tiến độ", behind: "Chậm",
      not_met: "Không đạt", not_derived: "Chưa có số liệu",
      producers: "Cơ cấu chủ thể", women: "Do phụ nữ làm chủ", minority: "Do người dân tộc thiểu số làm chủ",
      total: "Tổng số", expiring: "Giấy chứng nhận hết hạn trong 6 tháng tới", none: "Không có",
      asof: "Số liệu tính đến", merged: "Hợp nhất từ", exports: "Tải về", loading: "Đang tải…",
      current: "(mới, từ 1/7/2025)", legacy: "(cũ, trước 1/7/2025)", sector: "Theo ngành",
      asofPick: "Tính đến ngày", view: "Cách xem",
      as_known: "Theo dữ liệu đã biết vào ngày đó", as_corrected: "Theo dữ liệu đã cập nhật, kể cả bổ sung sau ngày đó",
      now: "hiện tại",
      basis: "Nguồn số liệu", facts: "Tính từ dữ liệu", evidence: "Không tính được từ dữ liệu — cần báo cáo kèm minh chứng"
    },
    en: {
      title: "OCOP progress", province: "Province", year: "Year", show: "Show", lang: "Tiếng Việt",
      progress: "Progress per target", stars: "Star mix", trend: "New products at 3 stars or more per year",
      targets: "Target", plan: "Plan", unit: "Province", goal: "Goal", actual: "Actual", standing: "Standing",
      legalForm: "Legal form", count: "Number", sectorName: "Sector", products: "Products",
      certificate: "Certificate", starLevel: "Stars", validUntil: "Valid until",
      star: function (n) { return n + (String(n) === "1" ? " star" : " stars"); },
      files: { progress: "Progress", overview: "Overview" },
      attained: "Attained", exceeded: "Above the range", on_track: "On track", behind: "Behind",
      not_met: "Not met", not_derived: "No figure yet",
      producers: "Producer mix", women: "Women-led", minority: "Ethnic-minority-led",
      total: "Total", expiring: "Certificates expiring in the next 6 months", none: "None",
      asof: "Figures as of", merged: "Merged from", exports: "Download", loading: "Loading…",
      current: "(new, from 1 Jul 2025)", legacy: "(old, before 1 Jul 2025)", sector: "By sector",
      asofPick: "As of", view: "View",
      as_known: "As known on that day", as_corrected: "As corrected since, including late entries",
      now: "now",
      basis: "Source", facts: "Computed from facts", evidence: "Cannot be computed from facts — needs a report with evidence"
    }
  };
  var SVG = "http://www.w3.org/2000/svg";
  // Bar colour per standing: reached green (above the range teal), on track amber, missed red
  // (darker once the period is over and it can no longer be caught up).
  var BAR = { attained: "#1f9d55", exceeded: "#0e7490", on_track: "#e0a800", behind: "#d64545", not_met: "#912018" };
  var t = T[config.lang] || T.vi;
  var shownLang = T[config.lang] ? config.lang : "vi";
  // Official names of the contracts' codes (legal forms, sectors), from the page's config.
  function named(kind, code) {
    var label = (config.labels[kind] || {})[code];
    return label ? label[shownLang] : code;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function fmt(v) { return v === null || v === undefined ? "—" : String(v); }
  function goal(row) {
    if (row.minimum !== null && row.maximum !== null && row.minimum !== row.maximum) return fmt(row.minimum) + "–" + fmt(row.maximum);
    return fmt(row.minimum !== null ? row.minimum : row.maximum);
  }
  function query() {
    var q = "province_code=" + config.province_code + "&year=" + config.year;
    if (config.edition) q += "&edition=" + config.edition;
    if (config.as_of) q += "&as_of=" + config.as_of;
    return q + "&view=" + config.view;
  }

  function header() {
    var select = el("select", { id: "province", "aria-label": t.province });
    config.provinces.forEach(function (p) {
      var value = p.edition + ":" + p.code;
      var option = el("option", { value: value }, [p.code + " " + p.name + " " + (p.edition === "2025" ? t.current : t.legacy)]);
      var chosen = config.edition ? config.edition + ":" + config.province_code : null;
      if (value === chosen || (!chosen && p.code === config.province_code && p.edition === (config.year < 2025 && config.provinces.some(function (q) { return q.code === p.code && q.edition === "2008"; }) ? "2008" : "2025"))) option.selected = true;
      select.appendChild(option);
    });
    var year = el("input", { id: "year", type: "number", min: "2018", max: "2100", value: String(config.year), "aria-label": t.year });
    var asOf = el("input", { id: "as-of", type: "date", value: config.as_of || "", "aria-label": t.asofPick });
    var view = el("select", { id: "view", "aria-label": t.view }, ["as_known", "as_corrected"].map(function (v) {
      var option = el("option", { value: v }, [t[v]]);
      if (v === config.view) option.selected = true;
      return option;
    }));
    var show = el("button", { id: "show", type: "button" }, [t.show]);
    var lang = el("button", { id: "lang", type: "button" }, [t.lang]);
    function go(language) {
      var parts = select.value.split(":");
      var when = (asOf.value ? "&as_of=" + asOf.value : "") + "&view=" + view.value;
      location.search = "?province_code=" + parts[1] + "&edition=" + parts[0] + "&year=" + year.value + when + "&lang=" + language;
    }
    show.addEventListener("click", function () { go(config.lang); });
    lang.addEventListener("click", function () { go(config.lang === "vi" ? "en" : "vi"); });
    return el("header", {}, [el("h1", {}, [t.title]), el("label", {}, [t.province + " ", select]), el("label", {}, [t.year + " ", year]),
      el("label", {}, [t.asofPick + " ", asOf]), el("label", {}, [t.view + " ", view]), show, lang]);
  }

  function progressChart(rows) {
    var shown = rows.filter(function (r) { return r.percent !== null; });
    var h = 26 * shown.length + 30, w = 640, left = 250;
    var chart = svg("svg", { id: "chart-progress", width: w, height: h, viewBox: "0 0 " + w + " " + h, role: "img", "aria-label": t.progress });
    var scale = (w - left - 60) / 150;
    chart.appendChild(svg("line", { x1: left + 100 * scale, x2: left + 100 * scale, y1: 0, y2: h - 20, stroke: "#98a2b3", "stroke-dasharray": "3 3" }));
    chart.appendChild(svg("text", { x: left + 100 * scale - 12, y: h - 6 }, "100%"));
    shown.forEach(function (r, i) {
      var y = 6 + i * 26, width = Math.max(2, Math.min(150, r.percent) * scale);
      var color = BAR[r.standing] || "#98a2b3";
      chart.appendChild(svg("text", { x: 0, y: y + 14 }, (r.label.length > 40 ? r.label.slice(0, 39) + "…" : r.label)));
      chart.appendChild(svg("rect", { "class": "bar " + r.standing, x: left, y: y, width: width, height: 18, fill: color, "data-target": r.target_id }));
      chart.appendChild(svg("text", { x: left + width + 4, y: y + 14 }, r.percent + "%"));
    });
    return chart;
  }

  function barChart(id, entries, color, label) {
    var w = 420, h = 180, max = Math.max.apply(null, entries.map(function (e) { return e[1]; }).concat([1]));
    var chart = svg("svg", { id: id, width: w, height: h, viewBox: "0 0 " + w + " " + h, role: "img", "aria-label": label });
    var step = (w - 20) / Math.max(1, entries.length);
    entries.forEach(function (e, i) {
      var bh = (h - 40) * e[1] / max, x = 10 + i * step + step * 0.15;
      chart.appendChild(svg("rect", { "class": "bar", x: x, y: h - 20 - bh, width: step * 0.7, height: Math.max(bh, e[1] ? 1 : 0), fill: color, "data-value": e[1] }));
      chart.appendChild(svg("text", { x: x + step * 0.2, y: h - 6 }, e[0]));
      chart.appendChild(svg("text", { x: x + step * 0.2, y: h - 24 - bh }, String(e[1])));
    });
    return chart;
  }

  function table(head, rows) {
    return el("table", {}, [el("tr", {}, head.map(function (h) { return el("th", {}, [h]); }))].concat(rows));
  }

  function render(progress, overview) {
    app.innerHTML = "";
    app.appendChild(header());
    var main = el("main");
    var u = progress.unit;
    var merged = u.merged_from.length ? " · " + t.merged + " " + u.merged_from.join(", ") : "";
    main.appendChild(el("section", { "class": "wide" }, [
      el("h2", {}, [t.progress + " — " + u.name + " (" + u.code + ", " + u.edition + ") " + progress.year]),
      el("p", { "class": "note" }, [t.asof + " " + progress.as_of + (config.as_of ? "" : " (" + t.now + ")") + merged]),
      el("p", { "class": "note", id: "view-shown", "data-view": progress.view }, [t.view + ": " + t[progress.view]]),
      progressChart(progress.targets),
      table([t.plan, t.unit, t.targets, t.goal, t.actual, "%", t.standing, t.basis], progress.targets.map(function (r) {
        return el("tr", { "data-target": r.target_id, "data-actual": fmt(r.actual) }, [
          el("td", {}, [r.plan_ref]), el("td", {}, [r.province_name + " (" + r.province_code + ")"]), el("td", {}, [r.label]),
          el("td", { "class": "num" }, [goal(r)]), el("td", { "class": "num actual" }, [fmt(r.actual)]),
          el("td", { "class": "num" }, [r.percent === null ? "—" : r.percent + "%"]),
          el("td", { "class": r.standing }, [t[r.standing] || r.standing]),
          el("td", { "class": "basis " + r.basis }, [t[r.basis]])
        ]);
      }))
    ]));
    var stars = Object.keys(overview.star_mix).map(function (k) { return [t.star(k), overview.star_mix[k]]; });
    main.appendChild(el("section", {}, [el("h2", {}, [t.stars]), barChart("chart-stars", stars, "#c98a00", t.stars)]));
    var trend = overview.trend.map(function (e) { return [String(e.year), e.new_certified]; });
    main.appendChild(el("section", {}, [el("h2", {}, [t.trend]), barChart("chart-trend", trend, "#2563eb", t.trend)]));
    var mix = overview.producer_mix;
    main.appendChild(el("section", { id: "sectors" }, [el("h2", {}, [t.sector]), table([t.sectorName, t.products],
      Object.keys(overview.by_sector).map(function (k) {
        return el("tr", {}, [el("td", {}, [named("sectors", k)]), el("td", { "class": "num" }, [String(overview.by_sector[k])])]);
      }))]));
    main.appendChild(el("section", { id: "producer-mix" }, [el("h2", {}, [t.producers]), table([t.legalForm, t.count],
      Object.keys(mix.by_legal_form).map(function (k) { return el("tr", { "data-legal-form": k }, [el("td", {}, [named("legal_forms", k)]), el("td", { "class": "num" }, [String(mix.by_legal_form[k])])]); }).concat([
        el("tr", {}, [el("td", {}, [t.women]), el("td", { "class": "num", id: "women-led" }, [String(mix.women_led)])]),
        el("tr", {}, [el("td", {}, [t.minority]), el("td", { "class": "num" }, [String(mix.ethnic_minority_led)])]),
        el("tr", {}, [el("td", {}, [t.total]), el("td", { "class": "num" }, [String(mix.total)])])
      ]))]));
    main.appendChild(el("section", {}, [el("h2", {}, [t.expiring]), overview.expiring_certificates.length ?
      table([t.certificate, t.starLevel, t.validUntil], overview.expiring_certificates.map(function (c) {
        return el("tr", {}, [el("td", {}, [c.certificate_id + " " + (c.product_name || "")]), el("td", {}, [t.star(c.stars)]), el("td", {}, [c.valid_until])]);
      })) : el("p", { "class": "note" }, [t.none])]));
    var links = ["progress", "overview"].map(function (r) {
      return ["csv", "xlsx"].map(function (f) { return el("a", { href: "/exports/" + r + "." + f + "?" + query() }, [t.files[r] + " (" + f.toUpperCase() + ")"]); });
    }).reduce(function (a, b) { return a.concat(b); }, []);
    main.appendChild(el("section", { "class": "wide exports" }, [el("h2", {}, [t.exports])].concat(links)));
    app.appendChild(main);
    document.body.setAttribute("data-ready", "true");
  }

  app.appendChild(el("p", {}, [t.loading]));
  Promise.all([
    fetch("/reports/progress?" + query()).then(function (r) { return r.json(); }),
    fetch("/reports/overview?" + query()).then(function (r) { return r.json(); })
  ]).then(function (results) { render(results[0], results[1]); }, function (err) {
    app.textContent = String(err);
    document.body.setAttribute("data-ready", "error");
  });
})();
