"""The record page's forms as pure functions: which fields the edit form shows (Vietnamese
labels), form values → changes, the status actions (thu hồi, thay thế, gia hạn) → changes, and
Vietnamese messages for the domain's per-field errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.web.helpers import LEVEL_LABELS, STATUS_LABELS, vn_date
from domain.changes import DATE_FIELDS

# (field, label, input type) in form order. Status, replacement and validity end come from
# the status actions below, each with its required reason.
EDIT_FIELDS = (
    ("result_number", "Số/ký hiệu", "text"),
    ("document_type", "Loại kết quả", "text"),
    ("procedure_code", "Mã thủ tục", "text"),
    ("procedure_name", "Tên thủ tục", "text"),
    ("agency_code", "Mã cơ quan ban hành", "text"),
    ("agency_name", "Cơ quan ban hành", "text"),
    ("issued_on", "Ngày ban hành", "date"),
    ("signer", "Người ký", "text"),
    ("signer_title", "Chức vụ người ký", "text"),
    ("holder_name", "Họ và tên người được cấp", "text"),
    ("holder_id_number", "Số định danh", "text"),
    ("holder_birth_date", "Ngày sinh", "date"),
    ("holder_address", "Địa chỉ", "text"),
    ("valid_from", "Có hiệu lực từ ngày", "date"),
    ("digitized_on", "Ngày số hóa", "date"),
    ("summary", "Trích yếu", "textarea"),
    ("text", "Nội dung văn bản (bản nhận dạng)", "textarea"),
)
FIELD_LABELS = {
    **{name: label for name, label, _ in EDIT_FIELDS},
    "agency_level": "Cấp cơ quan", "valid_until": "Có hiệu lực đến ngày",
    "status": "Tình trạng", "replaced_by": "Thay thế bởi hồ sơ", "other_parties": "Bên liên quan",
    "file_hashes": "Tệp bản gốc", "withdrawn": "Rút khỏi kho", "reason": "Lý do",
    "changes": "Thay đổi", "version": "Phiên bản",
}
SOURCE_LABELS = {"ingest": "Số hóa / nhập lại", "edit": "Sửa thông tin", "review": "Xác nhận",
                 "withdraw": "Rút khỏi kho", "restore": "Khôi phục"}
# Status actions: name in the form → the field changes it makes (values from the form).
ACTIONS = ("thu-hoi", "thay-the", "gia-han", "hieu-luc-lai")


class FormError(ValueError):
    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


def _value(form: Mapping[str, str], name: str) -> str | None:
    raw = form.get(name)
    if raw is None:
        return None
    text = raw.replace("\r\n", "\n") if name == "text" else raw.strip()
    return text if text.strip() else None


def edit_changes(form: Mapping[str, str]) -> dict[str, Any]:
    """Every edit-form field the form sent (an emptied field clears it)."""
    return {name: _value(form, name) for name, _, _ in EDIT_FIELDS if name in form}


def form_version(form: Mapping[str, str]) -> int:
    raw = (form.get("version") or "").strip()
    if not raw.isdigit():
        raise FormError({"version": "Biểu mẫu thiếu phiên bản hồ sơ; vui lòng tải lại trang."})
    return int(raw)


def action_changes(form: Mapping[str, str]) -> dict[str, Any]:
    """The changes one status action makes; FormError when it lacks what it needs."""
    action = form.get("action")
    if action == "thu-hoi":
        return {"status": "revoked"}
    if action == "hieu-luc-lai":
        return {"status": "active"}
    if action == "thay-the":
        target = _value(form, "replaced_by")
        if not target:
            raise FormError({"replaced_by": "Nhập mã hồ sơ của kết quả thay thế."})
        return {"status": "replaced", "replaced_by": target}
    if action == "gia-han":
        until = _value(form, "valid_until")
        if not until:
            raise FormError({"valid_until": "Chọn ngày hết hiệu lực mới."})
        return {"valid_until": until}
    raise FormError({"action": "Thao tác không hợp lệ."})


def vn_error(field: str, message: str) -> str:
    """A domain error message, said in Vietnamese for the form."""
    label = FIELD_LABELS.get(field, field)
    if field == "reason":
        return "Cần ghi lý do cho thay đổi tình trạng hoặc thời hạn hiệu lực."
    if field == "replaced_by":
        if "no record" in message:
            return "Không tìm thấy hồ sơ thay thế với mã này trong kho."
        if "itself" in message:
            return "Hồ sơ không thể thay thế chính nó."
        return "Cần ghi mã hồ sơ thay thế."
    if field == "withdrawn":
        return "Hồ sơ đã ở trạng thái này."
    if "date" in message or "before" in message:
        return f"{label}: ngày không hợp lệ."
    if "required" in message:
        return f"{label}: không được để trống."
    if "characters long" in message:
        return f"{label}: quá dài."
    return f"{label}: giá trị không hợp lệ."


def vn_errors(errors: Mapping[str, str]) -> dict[str, str]:
    return {field: vn_error(field, message) for field, message in errors.items()}


def shown_change(field: str, change: Mapping[str, Any]) -> dict[str, str]:
    """One history change as the page shows it (long text summarised, lists joined)."""
    def show(value: Any) -> str:
        if value in (None, "", []):
            return "(trống)"
        if field == "text":
            return f"({len(str(value))} ký tự)"
        if field == "withdrawn":
            return "có" if value else "không"
        if field in DATE_FIELDS:
            return vn_date(value)
        if field == "status":
            return STATUS_LABELS.get(str(value), str(value))
        if field == "agency_level":
            return LEVEL_LABELS.get(str(value), str(value))
        if field == "other_parties" and isinstance(value, list):
            return "; ".join(str(p.get("name", "")) for p in value if isinstance(p, dict))
        if isinstance(value, list):
            return f"{len(value)} tệp" if field == "file_hashes" else ", ".join(map(str, value))
        return str(value)

    return {"label": FIELD_LABELS.get(field, field), "from": show(change.get("from")),
            "to": show(change.get("to"))}
