// The portal's map: progressive enhancement over the server-rendered tables.
// Reads its data from #map's data attributes (no inline script: the CSP allows none),
// draws the track on a plain canvas unless the operator configured their own tiles,
// and on a device page follows the tracker live over /api/socket.
(function () {
  "use strict";

  var KMH_PER_KNOT = 1.852;

  function start() {
    var element = document.getElementById("map");
    if (!element || typeof L === "undefined") {
      return;
    }
    var data = element.dataset;
    var points = JSON.parse(data.points || "[]");
    var map = L.map(element, { attributionControl: Boolean(data.tiles), zoomSnap: 0.5 });
    if (data.tiles) {
      L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution || "" }).addTo(map);
    }
    L.control.scale({ imperial: false }).addTo(map);

    var latlngs = points.map(function (p) { return [p[0], p[1]]; });
    var track = L.polyline(latlngs, { weight: 3 }).addTo(map);
    points.forEach(function (p, index) {
      var last = index === points.length - 1;
      L.circleMarker([p[0], p[1]], { radius: last ? 7 : 3, fillOpacity: last ? 0.9 : 0.5 })
        .bindTooltip(label(p[3], p[2]))
        .addTo(map);
    });
    var marker = null;
    if (latlngs.length > 0) {
      marker = L.circleMarker(latlngs[latlngs.length - 1], { radius: 9, weight: 3, fillOpacity: 0.2 }).addTo(map);
    }
    fit(map, latlngs);

    if (data.device) {
      follow(map, track, marker, Number(data.device), data);
    }
  }

  // The same shape the server renders (views.show_time): Amsterdam time, day first in Dutch.
  function showTime(isoTime) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/Amsterdam", hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit"
    }).formatToParts(new Date(isoTime)).forEach(function (part) {
      parts[part.type] = part.value;
    });
    var clock = parts.hour + ":" + parts.minute + ":" + parts.second;
    if (document.documentElement.lang === "nl") {
      return parts.day + "-" + parts.month + "-" + parts.year + " " + clock;
    }
    return parts.year + "-" + parts.month + "-" + parts.day + " " + clock;
  }

  function label(isoTime, kmh) {
    return showTime(isoTime) + " · " + Number(kmh).toFixed(1) + " km/h";
  }

  function fit(map, latlngs) {
    if (latlngs.length === 0) {
      map.setView([52.1, 5.3], 7); // nothing to show yet: the Netherlands
    } else if (latlngs.length === 1) {
      map.setView(latlngs[0], 16);
    } else {
      map.fitBounds(L.latLngBounds(latlngs), { padding: [20, 20] });
    }
  }

  function setText(id, value) {
    var node = document.getElementById(id);
    if (node) {
      node.textContent = value;
    }
  }

  function follow(map, track, marker, deviceNumber, data) {
    if (!("WebSocket" in window)) {
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/api/socket");
    socket.onopen = function () { setText("live-status", data.liveOn || ""); };
    socket.onclose = function () { setText("live-status", data.liveOff || ""); };
    socket.onmessage = function (message) {
      var update;
      try {
        update = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      (update.positions || []).forEach(function (position) {
        if (position.deviceId !== deviceNumber) {
          return;
        }
        var where = [position.latitude, position.longitude];
        var kmh = (position.speed || 0) * KMH_PER_KNOT;
        track.addLatLng(where);
        if (marker) {
          marker.setLatLng(where);
        } else {
          marker = L.circleMarker(where, { radius: 9, weight: 3, fillOpacity: 0.2 }).addTo(map);
        }
        map.panTo(where);
        setText("live-time", showTime(position.fixTime));
        setText("live-place", position.latitude.toFixed(5) + ", " + position.longitude.toFixed(5));
        setText("live-speed", kmh.toFixed(1));
      });
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
