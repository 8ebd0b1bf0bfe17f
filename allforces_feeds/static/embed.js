/*
 * allforces-feeds embed: the latest posts in any page, no dependencies.
 *
 *   <div data-allforces-latest data-limit="5" data-tag="ai"></div>
 *   <script src="https://FEEDS/embed.js" async></script>
 *
 * Options (data-*): limit (1-50), tag, category, author (slugs or labels), summary="false".
 * The list is fetched from the service this script was loaded from. Every value is put in
 * the page as text (textContent) and only http(s) URLs become links: a title such as
 * "<script>" stays a title. Whatever the div holds (a fallback link) stays until the list
 * has arrived, and stays if it cannot be had. Style it with the allforces-latest* classes.
 */
(function () {
  "use strict";

  var SELECTOR = "[data-allforces-latest]";
  var PARAMETERS = ["limit", "tag", "category", "author"];

  function ownScript() {
    if (document.currentScript && document.currentScript.src) {
      return document.currentScript.src;
    }
    // currentScript is null in a few loaders; the last script named embed.js is this one.
    var scripts = document.querySelectorAll("script[src]");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/embed\.js(?:[?#].*)?$/.test(scripts[i].src)) {
        return scripts[i].src;
      }
    }
    return null;
  }

  var scriptUrl = ownScript();
  var requests = {};

  function listUrl(container) {
    // Relative to the script itself: works when the service lives below a path too.
    var url = new URL("embed/latest.json", scriptUrl);
    PARAMETERS.forEach(function (name) {
      var value = container.getAttribute("data-" + name);
      if (value !== null && value !== "") {
        url.searchParams.set(name, value);
      }
    });
    return url.href;
  }

  function load(url) {
    if (!requests[url]) {
      requests[url] = fetch(url, { credentials: "omit", mode: "cors" }).then(function (response) {
        if (!response.ok) {
          throw new Error("allforces-feeds: " + response.status + " for " + url);
        }
        return response.json();
      });
    }
    return requests[url];
  }

  function webUrl(value) {
    if (typeof value !== "string") {
      return null;
    }
    try {
      var url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function text(value) {
    return typeof value === "string" ? value : "";
  }

  function element(name, className, content) {
    var node = document.createElement(name);
    node.className = className;
    if (content !== undefined) {
      node.textContent = content;
    }
    return node;
  }

  function formatDate(value) {
    var date = new Date(value);
    if (isNaN(date.getTime())) {
      return "";
    }
    try {
      return new Intl.DateTimeFormat("ja-JP", { year: "numeric", month: "long", day: "numeric" }).format(date);
    } catch (error) {
      return date.toISOString().slice(0, 10);
    }
  }

  function item(entry, showSummary) {
    var li = element("li", "allforces-latest__item");
    var href = webUrl(entry.url);
    var title = element(href ? "a" : "span", "allforces-latest__title", text(entry.title));
    if (href) {
      title.href = href;
    }
    li.appendChild(title);
    var published = text(entry.date_published);
    var date = formatDate(published);
    if (date) {
      var time = element("time", "allforces-latest__date", date);
      time.dateTime = published;
      li.appendChild(document.createTextNode(" "));
      li.appendChild(time);
    }
    if (showSummary && text(entry.summary)) {
      li.appendChild(element("p", "allforces-latest__summary", text(entry.summary)));
    }
    return li;
  }

  function show(container, data) {
    var entries = data && Array.isArray(data.items) ? data.items : [];
    var showSummary = container.getAttribute("data-summary") !== "false";
    var content;
    if (entries.length === 0) {
      content = element("p", "allforces-latest__empty", "まだ記事がありません。");
    } else {
      content = element("ul", "allforces-latest");
      entries.forEach(function (entry) {
        if (entry && typeof entry === "object") {
          content.appendChild(item(entry, showSummary));
        }
      });
    }
    while (container.firstChild) {
      container.removeChild(container.firstChild);
    }
    container.appendChild(content);
    container.setAttribute("data-allforces-state", "ready");
    container.removeAttribute("aria-busy");
  }

  function render(container) {
    if (container.getAttribute("data-allforces-state")) {
      return; // already rendered, or on its way (the script was included twice)
    }
    container.setAttribute("data-allforces-state", "loading");
    container.setAttribute("aria-busy", "true");
    var url = listUrl(container);
    load(url).then(
      function (data) {
        show(container, data);
      },
      function (error) {
        container.setAttribute("data-allforces-state", "error");
        container.removeAttribute("aria-busy");
        if (window.console) {
          window.console.warn(error);
        }
      }
    );
  }

  function renderAll() {
    if (!scriptUrl) {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll(SELECTOR), render);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
  // For pages that add a container later: AllforcesEmbed.render().
  window.AllforcesEmbed = { render: renderAll };
})();
