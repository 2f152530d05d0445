// Countdowns tick in the browser; the server's text is the fallback. A file, not an inline
// script, so the Content-Security-Policy can forbid inline script. The server's clock comes
// from <body data-server-now>, so a drill on a moved clock counts down from the server's time.
function yqFormat(ms) {
  var m = Math.floor(Math.abs(ms) / 60000), h = Math.floor(m / 60); m = m % 60;
  var t = h ? h + "小时" + m + "分钟" : m + "分钟";
  if (ms >= 0) return "剩余 " + t;
  return ms > -60000 ? "刚刚超时" : "已超时 " + t;
}
function yqTick() {
  var now = Date.now() + (window.yqSkew || 0);
  document.querySelectorAll("[data-due]").forEach(function (el) {
    var left = Date.parse(el.dataset.due) - now;
    el.textContent = yqFormat(left);
    el.classList.toggle("overdue", left < 0);
  });
}
(function () {
  var serverNow = document.body.dataset.serverNow;
  window.yqSkew = serverNow ? Date.parse(serverNow) - Date.now() : 0;
  setInterval(yqTick, 30000);
})();
