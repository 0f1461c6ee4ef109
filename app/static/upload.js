// Upload page enhancement: drag and drop, one request per file with its own progress bar, then
// the job's state until the record waits in the review queue. Without JS the form posts as is.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var input = document.getElementById("files");
  var zone = document.getElementById("drop-zone");
  var list = document.getElementById("upload-list");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }

  function row(name) {
    var li = document.createElement("li");
    var label = document.createElement("span");
    label.className = "name";
    label.textContent = name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    var status = document.createElement("span");
    status.className = "status";
    status.textContent = "Đang tải lên…";
    li.appendChild(label); li.appendChild(bar); li.appendChild(status);
    list.appendChild(li);
    return { li: li, bar: bar, status: status };
  }

  function poll(jobId, item, reviewUrl) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", form.action.replace(/\/tai-len.*$/, "/tai-len/cong-viec/") + jobId);
    xhr.onload = function () {
      var job = {};
      try { job = JSON.parse(xhr.responseText); } catch (e) { job = {}; }
      if (job.state === "done") {
        item.li.className = "done";
        item.status.textContent = "Đã vào hàng chờ duyệt. ";
        var link = document.createElement("a");
        link.href = reviewUrl; link.textContent = "Duyệt ngay";
        item.status.appendChild(link);
      } else if (job.state === "failed") {
        item.li.className = "failed";
        item.status.textContent = "Lỗi: " + (job.error || "không đọc được tệp");
      } else {
        item.status.textContent = "Đang đọc văn bản…";
        setTimeout(function () { poll(jobId, item, reviewUrl); }, 1500);
      }
    };
    xhr.send();
  }

  function send(file) {
    var item = row(file.name);
    var data = new FormData();
    data.append("csrf_token", form.elements.csrf_token.value);
    data.append("agency_code", form.elements.agency_code.value);
    data.append("files", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { item.bar.value = Math.round(100 * e.loaded / e.total); }
    };
    xhr.onload = function () {
      var answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = {}; }
      var result = (answer.results || [])[0] || {};
      item.bar.value = 100;
      if (result.error || !result.job_id) {
        item.li.className = "failed";
        item.status.textContent = "Lỗi: " + (result.error || "máy chủ trả lời " + xhr.status);
        return;
      }
      item.li.className = "queued";
      item.li.setAttribute("data-job", result.job_id);
      poll(result.job_id, item, result.review_url);
    };
    xhr.onerror = function () {
      item.li.className = "failed";
      item.status.textContent = "Lỗi mạng khi tải lên";
    };
    xhr.send(data);
  }

  function sendAll(files) {
    for (var i = 0; i < files.length; i++) { send(files[i]); }
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    sendAll(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) { sendAll(e.dataTransfer.files); });
})();
