"""Texts of the commune pages."""

TEXTS: dict[str, tuple[str, str]] = {
    "commune.title": ("Báo cáo của đơn vị {unit}", "Reports of unit {unit}"),
    "commune.deadline": ("Hạn gửi: {day}", "Due: {day}"),
    "commune.deadline_note": (
        "(hết ngày, giờ Việt Nam)",
        "(end of the day, Vietnam time)",
    ),
    "commune.form.title": ("Nhập số liệu báo cáo", "Enter the report's figures"),
    "commune.form.intro": (
        "Nhập số theo cách viết tiếng Việt (ví dụ 1.234,5) hoặc không có dấu phân cách"
        " (1234,5). Bấm «Kiểm tra» để biết báo cáo có hợp lệ không trước khi gửi.",
        "Type figures the Vietnamese way (1.234,5) or without separators (1234.5)."
        " Press “Check” to learn whether the report is valid before sending it.",
    ),
    "commune.required": ("bắt buộc", "required"),
    "commune.optional": ("không bắt buộc", "optional"),
    "commune.unit_of_measure": ("Đơn vị tính: {unit}", "Unit: {unit}"),
    "commune.rule": ("Quy tắc", "Rule"),
    "commune.rule_warning": ("Lưu ý", "Note"),
    "commune.check": ("Kiểm tra", "Check"),
    "commune.submit": ("Gửi báo cáo", "Send the report"),
    "commune.error_prefix": ("Lỗi:", "Error:"),
    "commune.warning_prefix": ("Cảnh báo:", "Warning:"),
    "commune.errors.title": ("Báo cáo chưa hợp lệ", "There is a problem"),
    "commune.warnings.title": ("Cảnh báo (báo cáo vẫn được chấp nhận)", "Warnings (accepted)"),
    "commune.checked.ok": (
        "Không phát hiện lỗi: báo cáo sẽ được chấp nhận nếu gửi ngay bây giờ.",
        "No problems found: the report would be accepted if sent now.",
    ),
    "commune.checked.on_time": ("Gửi bây giờ được tính là đúng hạn.", "Sent now, it is on time."),
    "commune.checked.late": ("Gửi bây giờ sẽ bị tính là trễ hạn.", "Sent now, it is late."),
    "commune.correction": (
        "Đây là bản điều chỉnh của báo cáo đã gửi ngày {day}. Khi được chấp nhận, bản này"
        " thay thế bản trước.",
        "This corrects the report sent on {day}. Once accepted, it replaces that one.",
    ),
    "commune.current": (
        "Đơn vị đã gửi báo cáo kỳ này lúc {time}.",
        "The unit sent this period's report at {time}.",
    ),
    "commune.current.none": (
        "Đơn vị chưa có báo cáo được chấp nhận cho kỳ này.",
        "The unit has no accepted report for this period yet.",
    ),
    "commune.correct": ("Điều chỉnh báo cáo", "Correct the report"),
    "commune.history": ("Lịch sử gửi báo cáo", "Submission history"),
    "commune.read_only": (
        "Bạn đang xem báo cáo của đơn vị {unit} (chỉ xem). Chỉ đơn vị {unit} gửi báo cáo của"
        " mình; người được giao gửi báo cáo của tỉnh, thành phố quản lý đơn vị có thể nhập hộ"
        " báo cáo giấy của đơn vị.",
        "You are viewing unit {unit}'s report (read only). Only unit {unit} sends its own"
        " report; a submitter of the province over it may key in its paper report on its"
        " behalf.",
    ),
    "commune.keying.title": (
        "Nhập hộ báo cáo giấy của đơn vị {unit}",
        "Keying in unit {unit}'s paper report on its behalf",
    ),
    "commune.keying.intro": (
        "Bạn nhập số liệu theo báo cáo giấy đơn vị {unit} đã gửi. Báo cáo được tính là của"
        " đơn vị {unit}, kèm ghi chú «nhập hộ bởi đơn vị {by} — {person}» và lý do bạn ghi"
        " dưới đây; ghi chú này hiện trong lịch sử gửi báo cáo, cả với đơn vị {unit}.",
        "You are typing in the figures of the paper report unit {unit} sent. The report counts"
        " as unit {unit}'s, marked “keyed in on its behalf by unit {by} — {person}” with the"
        " reason you give below; the mark shows in the submission history, unit {unit}'s own"
        " included.",
    ),
    "commune.keying.reason": ("Lý do nhập hộ", "Why you are keying it in"),
    "commune.keying.reason_hint": (
        "Ví dụ: xã gửi báo cáo giấy ngày 08/12 do mất kết nối. Tối đa 500 ký tự.",
        "For example: the commune sent a paper report on 08/12, its connection being down."
        " At most 500 characters.",
    ),
    "commune.keying.reason_missing": (
        "Ghi lý do nhập hộ báo cáo này",
        "Say why you are keying in this report",
    ),
    "commune.keying.reason_too_long": (
        "Lý do dài quá 500 ký tự",
        "The reason is longer than 500 characters",
    ),
    "commune.keyed_by": (
        "Nhập hộ bởi đơn vị {unit} — {person} — Lý do: {reason}",
        "Keyed in on its behalf by unit {unit} — {person} — Reason: {reason}",
    ),
    "commune.counted_from.signed": (
        "Tính theo giờ ký: {at} (đơn vị mất kết nối từ {quiet_from} đến {quiet_until};"
        " hệ thống nhận lúc {received})",
        "Counted from its signed time: {at} (the hub heard nothing from the unit's edge from"
        " {quiet_from} to {quiet_until}; received {received})",
    ),
    "commune.values.title": ("Số liệu hiện hành", "Current figures"),
    "commune.period_status": ("Tình trạng báo cáo kỳ này", "This period's report"),
    "commune.values.indicator": ("Chỉ tiêu", "Indicator"),
    "commune.values.value": ("Giá trị", "Value"),
    "commune.values.unit": ("Đơn vị tính", "Unit"),
    "commune.refused": (
        "Hệ thống từ chối yêu cầu ({status}, {reason}): {detail}",
        "The request was refused ({status}, {reason}): {detail}",
    ),
    "commune.refused.unit_mismatch": (
        "Đơn vị của bạn không được gửi báo cáo thay cho đơn vị {unit} (unit_mismatch). Chỉ"
        " đơn vị {unit} được gửi báo cáo của mình.",
        "Your unit may not send a report for unit {unit} (unit_mismatch). Only unit {unit}"
        " sends its own report.",
    ),
    "commune.refused.not_the_province": (
        "Đơn vị {unit} không thuộc tỉnh, thành phố của bạn: bạn không được nhập hộ báo cáo"
        " của đơn vị này (not_the_province).",
        "Unit {unit} is not in your province: you may not key in its report (not_the_province).",
    ),
    "commune.refused.keyed_by_not_caller": (
        "Người nhập hộ ghi trong báo cáo không phải tài khoản đang đăng nhập"
        " (keyed_by_not_caller). Hãy đăng nhập lại rồi gửi lại.",
        "The person named as keying the report is not the one signed in"
        " (keyed_by_not_caller). Sign in again, then send it again.",
    ),
    "commune.refused.role_required": (
        "Tài khoản của bạn không được giao quyền gửi báo cáo (role_required).",
        "Your account has not been given the right to send reports (role_required).",
    ),
    "commune.error.not_a_number": (
        "Không đọc được số này. Ví dụ cách viết đúng: 1234 hoặc 1.234,5",
        "This is not a number. For example: 1234 or 1234.5",
    ),
    "commune.error.not_whole": ("Chỉ tiêu này phải là số nguyên", "This must be a whole number"),
    "commune.error.missing_value": (
        "Chưa nhập giá trị cho chỉ tiêu bắt buộc này",
        "Enter a value: this indicator is required",
    ),
    "commune.error.negative_value": ("Giá trị không được âm", "The value cannot be negative"),
    "commune.error.too_many_decimals": (
        "Tối đa 4 chữ số thập phân",
        "At most 4 decimal places",
    ),
    "commune.error.value_too_large": ("Giá trị quá lớn", "The value is too large"),
    "commune.error.too_many_digits": (
        "Số có quá 15 chữ số có nghĩa",
        "The number has more than 15 significant digits",
    ),
    "commune.csv.title": ("Nhập từ tệp CSV", "Fill from a CSV file"),
    "commune.csv.intro": (
        "Tệp CSV (UTF-8) có dòng tiêu đề «indicator,value» (mã chỉ tiêu hoặc tên chỉ tiêu, giá"
        " trị); ngăn cách bằng dấu phẩy hoặc chấm phẩy. Số liệu được điền vào biểu mẫu và"
        " kiểm tra, chưa gửi đi.",
        "A CSV file (UTF-8) with the header “indicator,value” (the indicator's code or"
        " Vietnamese title, its value), separated by commas or semicolons. The figures fill"
        " the form and are checked, not sent.",
    ),
    "commune.csv.file": ("Chọn tệp CSV", "Choose a CSV file"),
    "commune.csv.upload": ("Điền từ tệp", "Fill from the file"),
    "commune.csv.template": ("Tải tệp mẫu CSV", "Download the CSV template"),
    "commune.csv.line": ("Dòng {line}: ", "Line {line}: "),
    "commune.csv.too_large": ("Tệp quá lớn (tối đa 64 KB).", "The file is too large (64 KB)."),
    "commune.csv.not_utf8": (
        "Tệp không phải mã UTF-8. Trong Excel, chọn «CSV UTF-8» khi lưu.",
        "The file is not UTF-8. In Excel, save as “CSV UTF-8”.",
    ),
    "commune.csv.no_header": (
        "Thiếu dòng tiêu đề có cột «indicator» và «value».",
        "No header line with the columns “indicator” and “value”.",
    ),
    "commune.csv.unknown_indicator": (
        "Chỉ tiêu «{indicator}» không có trong biểu mẫu.",
        "“{indicator}” is not an indicator of this form.",
    ),
    "commune.csv.bad_number": (
        "Giá trị của {indicator} không đọc được là số.",
        "The value of {indicator} is not a number.",
    ),
    "commune.csv.duplicate": (
        "Chỉ tiêu {indicator} xuất hiện nhiều lần.",
        "{indicator} appears more than once.",
    ),
    "commune.receipt.title": ("Đã nhận báo cáo", "Report received"),
    "commune.receipt.id": ("Mã báo cáo", "Submission id"),
    "commune.receipt.time": ("Thời điểm nhận chính thức", "Official time received"),
    "commune.receipt.keep": (
        "Giữ lại mã này: gửi lại cùng mã không tạo báo cáo mới.",
        "Keep this id: sending again under it does not make a new report.",
    ),
    "commune.verdict.waiting": ("Đang chờ kiểm tra…", "Waiting for the verdict…"),
    "commune.verdict.refresh": ("Tải lại kết quả", "Refresh the verdict"),
    "commune.verdict.accepted": (
        "Báo cáo đã được chấp nhận.",
        "The report was accepted.",
    ),
    "commune.verdict.superseded": (
        "Báo cáo đã được chấp nhận, sau đó được thay bằng bản điều chỉnh {id}.",
        "The report was accepted, then replaced by the correction {id}.",
    ),
    "commune.verdict.rejected": (
        "Báo cáo bị từ chối. Sửa các lỗi dưới đây và gửi lại (với mã báo cáo mới).",
        "The report was rejected. Fix the problems below and send it again (under a new id).",
    ),
    "commune.status.received": ("Đang xử lý", "Received"),
    "commune.status.accepted": ("Chấp nhận", "Accepted"),
    "commune.status.rejected": ("Từ chối", "Rejected"),
    "commune.status.superseded": ("Đã thay thế", "Superseded"),
    "commune.timeliness.on_time": ("Đúng hạn", "On time"),
    "commune.timeliness.late": ("Trễ hạn", "Late"),
    "commune.history.title": ("Lịch sử gửi báo cáo của đơn vị {unit}", "Submissions of {unit}"),
    "commune.history.empty": ("Chưa có báo cáo nào.", "No submissions yet."),
    "commune.history.id": ("Mã báo cáo", "Submission id"),
    "commune.history.period": ("Kỳ", "Period"),
    "commune.history.received": ("Thời điểm nhận", "Received"),
    "commune.history.status": ("Kết quả", "Verdict"),
    "commune.history.timeliness": ("Thời hạn", "Timeliness"),
    "commune.history.reasons": ("Lý do, cảnh báo", "Reasons, warnings"),
    "commune.history.superseded_by": ("Thay bằng {id}", "Replaced by {id}"),
    "commune.history.supersedes": ("Điều chỉnh {id}", "Corrects {id}"),
    "commune.history.all_types": ("Tất cả", "All"),
    "commune.history.more": ("Xem các báo cáo cũ hơn", "Older submissions"),
    "commune.history.back": ("Về biểu mẫu báo cáo", "Back to the report form"),
    "commune.unit.document": ("văn bản", "documents"),
    "commune.unit.conference": ("hội nghị", "conferences"),
    "commune.unit.procedure": ("thủ tục, hồ sơ", "procedures"),
    "commune.unit.report": ("báo cáo", "reports"),
    "commune.unit.person": ("người", "people"),
    "commune.unit.million_vnd": ("triệu đồng", "million VND"),
    "commune.unit.percent": ("phần trăm (%)", "percent (%)"),
    "commune.unit.day": ("ngày", "days"),
    "commune.unit.hour": ("giờ", "hours"),
    "commune.unit.mbps": ("Mbps (megabit/giây)", "Mbps (megabits a second)"),
    "commune.unit.building": ("trụ sở", "buildings"),
    "commune.unit.certificate": ("chứng thư", "certificates"),
    "commune.unit.post": ("vị trí", "posts"),
    "commune.unit.session": ("lớp", "sessions"),
    # The outbox: reports kept in the browser while the network is down (static/outbox.js).
    "commune.outbox.title": ("Báo cáo chờ gửi", "Reports waiting to be sent"),
    "commune.outbox.intro": (
        "Báo cáo gửi lúc mất mạng được lưu trên máy này và tự gửi khi có mạng trở lại, kể cả"
        " sau khi tắt trình duyệt. Báo cáo được máy này ký số thì ghi giờ ký; giờ ký được tính"
        " khi hệ thống ghi nhận máy mất kết nối lúc đó, nếu không thì thời điểm nộp chính thức"
        " là lúc hệ thống nhận được báo cáo.",
        "A report sent while the network is down is kept on this device and sent by itself"
        " when the network returns, even after the browser is closed. A report this device"
        " signed shows when it was signed; that time counts when the system recorded the"
        " device out of touch then, otherwise the official time is when the system receives it.",
    ),
    "commune.outbox.state_waiting": ("Chờ gửi", "Waiting to send"),
    "commune.outbox.state_sign_in": ("Chờ đăng nhập lại", "Waiting for you to sign in"),
    "commune.outbox.state_sent": ("Đã gửi", "Sent"),
    "commune.outbox.state_refused": ("Không được nhận", "Not taken"),
    "commune.outbox.filled": (
        "Điền lúc {time} (theo đồng hồ của máy này)",
        "Filled at {time} (by this device's clock)",
    ),
    "commune.outbox.signed": (
        "Ký lúc {time} (theo đồng hồ của máy này, có chữ ký số của máy)",
        "Signed at {time} (by this device's clock, with its digital signature)",
    ),
    "commune.outbox.unsigned": (
        "Chưa ký số: thời điểm nộp tính từ lúc hệ thống nhận được báo cáo.",
        "Not signed: its official time is when the system receives it.",
    ),
    "commune.outbox.device": (
        "Thiết bị này ký báo cáo khi mất mạng (khoá {key})",
        "This device signs reports while offline (key {key})",
    ),
    "commune.outbox.received": (
        "Hệ thống đã nhận lúc {time} (thời điểm chính thức).",
        "Received by the system at {time} (the official time).",
    ),
    "commune.outbox.receipt_id": ("Mã báo cáo:", "Submission id:"),
    "commune.outbox.receipt_link": ("Xem biên nhận", "See the receipt"),
    "commune.outbox.queued": (
        "Không có mạng: báo cáo đã được lưu trên máy này và sẽ tự gửi khi có mạng.",
        "No network: the report is kept on this device and will be sent when the network returns.",
    ),
    "commune.outbox.offline_action": (
        "Không có mạng nên chưa kiểm tra được. Bấm «Gửi báo cáo» để lưu báo cáo chờ gửi.",
        "No network, so the check could not run. Press “Send the report” to keep it waiting"
        " to be sent.",
    ),
    "commune.outbox.sent_count": (
        "Đã có mạng: đã gửi {count} báo cáo chờ.",
        "The network is back: {count} waiting report(s) sent.",
    ),
    "commune.outbox.sign_in_needed": (
        "Phiên đăng nhập đã hết: hãy đăng nhập lại để gửi báo cáo này.",
        "Your session has ended: sign in again to send this report.",
    ),
    "commune.outbox.sign_in": ("Đăng nhập lại", "Sign in again"),
    "commune.outbox.refused_unknown": (
        "Hệ thống không nhận báo cáo; hãy mở lại biểu mẫu để xem lý do.",
        "The system did not take the report; open the form again to see why.",
    ),
    "commune.outbox.refill": ("Điền lại vào biểu mẫu để sửa", "Put it back in the form to fix it"),
    "commune.outbox.hide": ("Ẩn", "Hide"),
    "commune.outbox.discard": ("Xoá, không gửi", "Delete, do not send"),
    "commune.outbox.discard_confirm": (
        "Xoá báo cáo này khỏi máy? Báo cáo sẽ không được gửi.",
        "Delete this report from this device? It will not be sent.",
    ),
    "commune.outbox.others": (
        "Trên máy này còn {count} báo cáo do người khác điền, chờ người đó đăng nhập để gửi.",
        "{count} report(s) filled by someone else wait on this device for them to sign in.",
    ),
    "commune.outbox.sign_out_confirm": (
        "Còn {count} báo cáo chưa gửi trên máy này. Đăng xuất sẽ xoá chúng. Vẫn đăng xuất?",
        "{count} report(s) on this device are not sent yet. Signing out deletes them. Sign"
        " out anyway?",
    ),
}
