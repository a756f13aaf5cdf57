/* parcs map helpers (part of parcs, MIT). Inlined in every parcs map page.
 * Data values (names, communes...) never become HTML here: they go into the page with
 * textContent, so a name such as <img src=x onerror=...> shows as text. */
(function () {
  "use strict";
  var parcs = window.parcs = window.parcs || {};

  /* A two-column table (label, value); rows whose value is empty are left out. */
  parcs.table = function (rows) {
    var table = document.createElement("table");
    table.className = "parcs-detail";
    rows.forEach(function (row) {
      var value = row[1];
      if (value === null || value === undefined || value === "") { return; }
      var tr = table.insertRow();
      var th = document.createElement("th");
      th.textContent = row[0];
      tr.appendChild(th);
      tr.insertCell().textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
    });
    return table;
  };

  /* onEachFeature of a GeoJSON layer: a tooltip or popup listing some properties. */
  parcs.bindDetail = function (fields, aliases, how, options) {
    return function (feature, layer) {
      var content = function () {
        var p = (feature && feature.properties) || {};
        return parcs.table(fields.map(function (f, i) { return [aliases[i], p[f]]; }));
      };
      if (how === "popup") { layer.bindPopup(content, options || {}); }
      else { layer.bindTooltip(content, options || {}); }
    };
  };

  /* A GeoJSON layer: fixed style, colours from a property, a property table on hover/click. */
  parcs.geojson = function (d) {
    var options = {
      style: function (f) {
        var s = Object.assign({}, d.style || {}), p = (f && f.properties) || {};
        if (d.colorFrom && p[d.colorFrom]) { s.color = p[d.colorFrom]; if (d.fill) { s.fillColor = s.color; } }
        return s;
      }
    };
    /* points (stations, viewpoints...) as small circles: no marker image to load */
    options.pointToLayer = function (f, latlng) {
      var s = options.style(f);
      return L.circleMarker(latlng, Object.assign({radius: 5, fillOpacity: 0.8, weight: 2}, s));
    };
    if (d.interactive === false) { options.interactive = false; }
    if (d.detail) {
      options.onEachFeature = parcs.bindDetail(d.detail.fields, d.detail.aliases, d.detail.how,
                                               d.detail.options);
    }
    return L.geoJSON(d.data, options);
  };

  /* Encoded polyline (Google's algorithm) to a flat [lat, lon, lat, lon...] array. */
  parcs.decode = function (str, decimals) {
    var out = [], i = 0, n = str.length, lat = 0, lon = 0, scale = Math.pow(10, -decimals);
    function next() {
      var result = 0, shift = 0, b;
      do { b = str.charCodeAt(i++) - 63; result |= (b & 31) << shift; shift += 5; } while (b >= 32);
      return (result & 1) ? ~(result >> 1) : (result >> 1);
    }
    while (i < n) {
      lat += next();
      lon += next();
      out.push(lat * scale, lon * scale);
    }
    return out;
  };

  var canvas = null;
  function renderer(useCanvas) {
    if (!useCanvas) { return undefined; }
    if (canvas === null) { canvas = L.canvas({padding: 0.5, tolerance: 4}); }
    return canvas;
  }

  /* One network layer (one edge kind) from its compact form (parcs/maps/_network.py). */
  parcs.lines = function (d) {
    var flat = parcs.decode(d.c, d.p), group = L.featureGroup(), at = 0, part = 0;
    var nFeatures = d.parts ? d.parts.length : d.n.length, rend = renderer(d.canvas);
    for (var f = 0; f < nFeatures; f++) {
      var nParts = d.parts ? d.parts[f] : 1, lines = [];
      for (var k = 0; k < nParts; k++, part++) {
        var line = [];
        for (var j = 0; j < d.n[part]; j++, at += 2) { line.push([flat[at], flat[at + 1]]); }
        lines.push(line);
      }
      var built = d.b ? d.b[f] === 1 : d.built;
      var layer = L.polyline(nParts === 1 ? lines[0] : lines, {
        color: d.color, weight: built ? 4 : 3, opacity: 0.9, dashArray: built ? null : "6 6",
        renderer: rend
      });
      layer.parcsIndex = f;
      group.addLayer(layer);
    }
    group.bindTooltip(function (layer) {
      var f = layer.parcsIndex, built = d.b ? d.b[f] === 1 : d.built;
      return parcs.table([
        ["Name", d.names[d.ni ? d.ni[f] : 0]],
        ["Kind", d.label],
        ["km", (d.dm[f] / 100).toFixed(2)],
        ["Built", built ? "" : "no (gap to build)"]
      ]);
    }, {sticky: true});
    return group;
  };

  function textNode(str) {
    var span = document.createElement("span");
    span.textContent = str;
    return span;
  }

  /* Numbered junction markers (points-noeuds), like the signs. */
  parcs.junctions = function (d) {
    var group = L.featureGroup();
    for (var i = 0; i < d.number.length; i++) {
      var el = document.createElement("div");
      el.className = "parcs-junction";
      el.textContent = d.number[i];
      var mk = L.marker([d.lat[i], d.lon[i]], {
        icon: L.divIcon({html: el, className: "parcs-junction-icon", iconSize: [22, 22],
                         iconAnchor: [11, 11]})
      });
      mk.bindTooltip(textNode(d.prefix + d.number[i]));
      group.addLayer(mk);
    }
    return group;
  };

  /* Fit the view to a [[south, west], [north, east]] box, clear of the legend (bottom left). */
  parcs.fit = function (map, box) {
    var legend = document.querySelector(".parcs-legend"), left = 10;
    if (legend) { left = Math.min(legend.offsetWidth + 20, map.getSize().x * 0.35); }
    map.fitBounds(box, {paddingTopLeft: [left, 10], paddingBottomRight: [10, 10], maxZoom: 18});
  };

  function pane(map, name, zIndex) {
    if (!map.getPane(name)) {
      var p = map.createPane(name);
      p.style.zIndex = zIndex;
      p.style.pointerEvents = "none";
    }
  }

  /* Place names shown from their zoom level on (d.z), decluttered in Python. */
  function labels(map, d) {
    var group = L.layerGroup();
    for (var i = 0; i < d.name.length; i++) {
      var el = document.createElement("span");
      el.className = "parcs-label parcs-label-" + d.size[i];
      el.textContent = d.name[i];
      var mk = L.marker([d.lat[i], d.lon[i]], {
        icon: L.divIcon({html: el, className: "parcs-label-icon", iconSize: null}),
        interactive: false, keyboard: false, pane: "parcs-labels"
      });
      mk.parcsMinZoom = d.z[i];
      group.addLayer(mk);
    }
    function update() {
      var z = map.getZoom();
      group.eachLayer(function (mk) {
        var e = mk.getElement();
        if (e) { e.style.display = z >= mk.parcsMinZoom ? "" : "none"; }
      });
    }
    group.on("add", function () { map.on("zoomend", update); update(); });
    group.on("remove", function () { map.off("zoomend", update); });
    return group;
  }

  /* The light base layer drawn without tiles: settlement outlines, dots and names. */
  parcs.basemap = function (map, d) {
    pane(map, "parcs-base", 250);
    pane(map, "parcs-labels", 450);
    var group = L.layerGroup();
    if (d.outlines) {
      group.addLayer(L.geoJSON(d.outlines, {
        pane: "parcs-base", interactive: false,
        style: {color: "#8f8a80", weight: 1, opacity: 0.9, fillColor: "#f8f6f0", fillOpacity: 0.85}
      }));
    }
    (d.dots || []).forEach(function (ll) {
      group.addLayer(L.circleMarker(ll, {
        pane: "parcs-base", interactive: false, radius: 3, weight: 1, color: "#5f5a50",
        fillColor: "#ffffff", fillOpacity: 1
      }));
    });
    if (d.labels) { group.addLayer(labels(map, d.labels)); }
    return group;
  };
})();
