/* salesflow: the kanban board (pipeline:board). Drag a card to the next column → POST
   pipeline:move, which advances it through the same service as the detail page (the stage gate
   applies). A refused move (409: outputs missing; 400: not the next stage) puts the card back
   where it was and shows why. Loaded with `defer` after SortableJS and htmx; no inline script
   (the Content-Security-Policy allows none).

   Without JavaScript, or from the keyboard, every card has a link to its detail page and a
   "推进到下一阶段" button (a plain POST form), so nothing here is required to work the board. */
(function () {
  "use strict";

  var board = document.getElementById("sf-board");
  if (!board || !window.Sortable || board.getAttribute("data-can-move") !== "1") {
    return;
  }

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return headers["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function say(text) {
    var status = document.getElementById("sf-board-status");
    if (status) {
      status.textContent = text;
    }
  }

  function showAlert(kind, text, missing, detailUrl) {
    var box = document.getElementById("sf-board-alert");
    if (!box) {
      return;
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-" + kind + " alert-dismissible fade show";
    alert.setAttribute("role", kind === "danger" || kind === "warning" ? "alert" : "status");
    var message = document.createElement("div");
    message.textContent = text;
    alert.appendChild(message);
    if (missing && missing.length) {
      var title = document.createElement("div");
      title.className = "small mt-1";
      title.textContent = board.getAttribute("data-msg-missing") || "";
      alert.appendChild(title);
      var list = document.createElement("ul");
      list.className = "small mb-0";
      missing.forEach(function (name) {
        var item = document.createElement("li");
        var icon = document.createElement("i");
        icon.className = "bi bi-x-circle text-danger me-1";
        icon.setAttribute("aria-hidden", "true");
        item.appendChild(icon);
        item.appendChild(document.createTextNode(name));
        list.appendChild(item);
      });
      alert.appendChild(list);
    }
    if (detailUrl) {
      var link = document.createElement("a");
      link.className = "alert-link small d-inline-block mt-1";
      link.href = detailUrl;
      link.textContent = board.getAttribute("data-msg-open") || "→";
      alert.appendChild(link);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "×");
    alert.appendChild(close);
    box.replaceChildren(alert);
  }

  function refreshEmptyState(list) {
    var empty = list.querySelector(".sf-board-empty");
    if (empty) {
      empty.classList.toggle("d-none", list.querySelector(".sf-bcard") !== null);
    }
  }

  function updateColumns(columns) {
    Object.keys(columns || {}).forEach(function (stageId) {
      var data = columns[stageId];
      var count = board.querySelector('[data-col-count="' + stageId + '"]');
      var total = board.querySelector('[data-col-total="' + stageId + '"]');
      var overdue = board.querySelector('[data-col-overdue="' + stageId + '"]');
      var overdueCount = board.querySelector('[data-col-overdue-count="' + stageId + '"]');
      if (count) {
        count.textContent = String(data.count);
      }
      if (total) {
        total.textContent = data.total;
      }
      if (overdue && overdueCount) {
        overdueCount.textContent = String(data.overdue);
        overdue.classList.toggle("d-none", !data.overdue);
      }
    });
  }

  function putBack(event) {
    var card = event.item;
    var reference = event.from.children[event.oldIndex] || null;
    event.from.insertBefore(card, reference);
    refreshEmptyState(event.from);
    refreshEmptyState(event.to);
  }

  function replaceCard(card, html) {
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var fresh = holder.firstElementChild;
    if (!fresh) {
      return;
    }
    card.replaceWith(fresh);
    if (window.htmx) {
      window.htmx.process(fresh);
    }
    var link = fresh.querySelector("a");
    if (link) {
      link.focus({ preventScroll: true });
    }
  }

  function move(event) {
    var card = event.item;
    var url = card.getAttribute("data-move-url");
    var body = new URLSearchParams();
    body.set("to_stage", event.to.getAttribute("data-stage-id") || "");
    body.set("next", board.getAttribute("data-board-url") || "");
    var filters = board.getAttribute("data-filters");
    card.classList.add("opacity-50");
    fetch(url + (filters ? "?" + filters : ""), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": csrfToken(),
        "X-Requested-With": "XMLHttpRequest",
        Accept: "application/json",
      },
      body: body,
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          return { ok: false, message: board.getAttribute("data-msg-failed") };
        }
        return response.json();
      })
      .then(function (data) {
        card.classList.remove("opacity-50");
        if (data.ok) {
          replaceCard(card, data.card || "");
          updateColumns(data.columns);
          refreshEmptyState(event.from);
          refreshEmptyState(event.to);
          say(data.message || "");
          showAlert("success", data.message || "", null, null);
        } else {
          putBack(event);
          showAlert(
            data.code === "gate" ? "warning" : "danger",
            data.message || board.getAttribute("data-msg-failed"),
            data.missing,
            data.detail_url
          );
          say(data.message || "");
        }
      })
      .catch(function () {
        card.classList.remove("opacity-50");
        putBack(event);
        showAlert("danger", board.getAttribute("data-msg-failed") || "", null, null);
      });
  }

  function setup(list) {
    if (list.dataset.sfSortable) {
      return;
    }
    list.dataset.sfSortable = "1";
    window.Sortable.create(list, {
      group: "sf-board",
      sort: false, // a column is ordered by amount; only moving to another column means something
      draggable: ".sf-bcard",
      filter: "button, input, textarea, select, .sf-board-more",
      preventOnFilter: false,
      delay: 150,
      delayOnTouchOnly: true,
      ghostClass: "opacity-25",
      chosenClass: "shadow",
      onEnd: function (event) {
        if (event.from === event.to) {
          return;
        }
        move(event);
      },
    });
  }

  board.querySelectorAll(".sf-board-list").forEach(setup);
})();
