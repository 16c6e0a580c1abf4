/* salesflow charts: renders every element with data-chart="ID", where ID is the id of a
   <script type="application/json"> made by Django's json_script holding an ECharts option.
   Loaded with `defer` after vendor/echarts/echarts.min.js. The Content-Security-Policy forbids
   inline style attributes, so tooltips are drawn on the canvas (renderMode richText) instead of
   as HTML. Charts follow their container's width and redraw when the window is resized. */
(function () {
  "use strict";

  function render(root) {
    if (!window.echarts) {
      return;
    }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.sfChartReady) {
        return;
      }
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) {
        return;
      }
      var option = JSON.parse(source.textContent);
      option.tooltip = Object.assign({ trigger: "item" }, option.tooltip || {}, {
        renderMode: "richText",
      });
      option.animation = false;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      el.dataset.sfChartReady = "1";
      window.addEventListener("resize", function () {
        chart.resize();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    render(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    render(event.target);
  });
})();
