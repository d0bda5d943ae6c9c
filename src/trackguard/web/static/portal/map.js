// The portal's map: progressive enhancement over the server-rendered tables.
// Reads its data from data attributes (no inline script: the CSP allows none),
// draws the track on a plain canvas unless the operator configured their own tiles,
// and on a device page follows the tracker live over /api/socket and lists the alarms
// the customer's trackers raise meanwhile (the alerts page lists them without script).
(function () {
  "use strict";

  var KMH_PER_KNOT = 1.852;
  var MAX_ALARMS_SHOWN = 20; // a banner, not the alerts page

  function start() {
    var element = document.getElementById("map");
    if (!element) {
      return;
    }
    var data = element.dataset;
    var showTime = timeFormat(data.timezone, document.documentElement.lang);
    var view = typeof L === "undefined" ? null : draw(element, data, showTime);
    if (data.device) {
      follow(Number(data.device), data, view, showTime, alarmList(showTime));
    }
  }

  // The same shape the server renders (views.show_time): the portal's time zone (a
  // setting, passed in data-timezone), day first in Dutch.
  function timeFormat(zone, lang) {
    var options = {
      hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit"
    };
    var format;
    try {
      format = new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: zone || undefined }, options));
    } catch (e) {
      format = new Intl.DateTimeFormat("en-GB", options); // a zone this browser lacks: its own
    }
    return function (isoTime) {
      var parts = {};
      format.formatToParts(new Date(isoTime)).forEach(function (part) {
        parts[part.type] = part.value;
      });
      var clock = parts.hour + ":" + parts.minute + ":" + parts.second;
      if (lang === "nl") {
        return parts.day + "-" + parts.month + "-" + parts.year + " " + clock;
      }
      return parts.year + "-" + parts.month + "-" + parts.day + " " + clock;
    };
  }

  // The track and its points; returns what a live position moves.
  function draw(element, data, showTime) {
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
        .bindTooltip(showTime(p[3]) + " · " + Number(p[2]).toFixed(1) + " km/h")
        .addTo(map);
    });
    var marker = null;
    if (latlngs.length > 0) {
      marker = ring(latlngs[latlngs.length - 1]).addTo(map);
    }
    fit(map, latlngs);
    return {
      moveTo: function (where) {
        track.addLatLng(where);
        if (marker) {
          marker.setLatLng(where);
        } else {
          marker = ring(where).addTo(map);
        }
        map.panTo(where);
      }
    };
  }

  function ring(where) {
    return L.circleMarker(where, { radius: 9, weight: 3, fillOpacity: 0.2 });
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

  // The banner of alarms that arrive while the page is open (#live-alarms); its words for
  // each event type are the alerts page's, in data-event-words. Null when the page has none.
  function alarmList(showTime) {
    var section = document.getElementById("live-alarms");
    var list = document.getElementById("live-alarm-list");
    if (!section || !list) {
      return null;
    }
    var words = JSON.parse(section.dataset.eventWords || "{}");
    var names = {}; // Traccar device id -> the customer's name for it
    var seen = {};
    return {
      show: function () { section.hidden = false; },
      devices: function (devices) {
        devices.forEach(function (device) { names[device.id] = device.name; });
      },
      add: function (event) {
        if (seen[event.id]) {
          return;
        }
        seen[event.id] = true;
        var item = document.createElement("li");
        var time = document.createElement("time");
        time.dateTime = event.eventTime;
        time.textContent = showTime(event.eventTime);
        var device = document.createElement("strong");
        device.textContent = names[event.deviceId] || "";
        // textContent throughout: a device's name is the customer's own text, never markup.
        item.appendChild(time);
        item.appendChild(document.createTextNode(" · "));
        item.appendChild(device);
        item.appendChild(document.createTextNode(" · " + (words[event.type] || event.type)));
        list.insertBefore(item, list.firstChild); // newest first, as on the alerts page
        while (list.children.length > MAX_ALARMS_SHOWN) {
          list.removeChild(list.lastChild);
        }
        section.classList.add("has-alarms");
      }
    };
  }

  function follow(deviceNumber, data, view, showTime, alarms) {
    if (!("WebSocket" in window)) {
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/api/socket");
    socket.onopen = function () {
      setText("live-status", data.liveOn || "");
      if (alarms) {
        alarms.show();
      }
    };
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
        if (view) {
          view.moveTo([position.latitude, position.longitude]);
        }
        setText("live-time", showTime(position.fixTime));
        setText("live-place", position.latitude.toFixed(5) + ", " + position.longitude.toFixed(5));
        setText("live-speed", ((position.speed || 0) * KMH_PER_KNOT).toFixed(1));
      });
      if (alarms) {
        alarms.devices(update.devices || []);
        (update.events || []).forEach(alarms.add);
      }
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
