"""Texts of the national pages and of the live updates."""

TEXTS: dict[str, tuple[str, str]] = {
    "national.title": ("Tổng quan toàn quốc", "National overview"),
    "national.choose": ("Chọn báo cáo và kỳ", "Choose report and period"),
    "national.figures.title": ("Cả nước", "The nation"),
    "national.figures.submitted": ("Đã nộp", "Submitted"),
    "national.figures.expected": ("Phải nộp", "Expected"),
    "national.figures.on_time": ("Đúng hạn", "On time"),
    "national.figures.late": ("Trễ hạn", "Late"),
    "national.figures.missing": ("Chưa nộp", "Missing"),
    "national.figures.rate": ("Tỷ lệ đầy đủ", "Completeness"),
    "national.figures.on_time_rate": ("Tỷ lệ đúng hạn", "On-time rate"),
    "national.map.title": ("Mức độ đầy đủ theo tỉnh, thành phố", "Completeness by province"),
    "national.map.help": (
        "Mỗi ô là một tỉnh, thành phố, xếp theo vị trí địa lý từ Bắc vào Nam. Chọn một ô để"
        " xem chi tiết tỉnh.",
        "Each tile is a province, placed by geography from north to south. Choose a tile for"
        " the province's details.",
    ),
    "national.map.list": ("34 tỉnh, thành phố", "The 34 provinces"),
    "national.tile.label": (
        "{name}: đã nộp {submitted}/{expected}, đầy đủ {rate}, đúng hạn {on_time}, trễ hạn"
        " {late}, chưa nộp {missing}",
        "{name}: {submitted} of {expected} submitted, {rate} complete, {on_time} on time,"
        " {late} late, {missing} missing",
    ),
    "national.tile.late": ("{count} trễ", "{count} late"),
    "national.legend.title": ("Chú giải", "Key"),
    "national.band.complete": ("Đầy đủ từ 95% trở lên", "95% complete or more"),
    "national.band.partial": ("Từ 50% đến dưới 95%", "50% to under 95%"),
    "national.band.low": ("Dưới 50%", "Under 50%"),
    "national.band.none": ("Chưa có báo cáo", "No reports yet"),
    "national.legend.late": (
        "Viền đứt và chữ \u201ctrễ\u201d: có báo cáo nộp trễ hạn",
        "Dashed border and \u201clate\u201d: some reports came in late",
    ),
    "national.targets.title": ("Chỉ tiêu và kết quả cả nước", "Targets: the nation's results"),
    "national.targets.help": (
        "Tỉnh không đạt: số liệu tổng hợp của tỉnh không đạt mục tiêu. Số đơn vị không đạt"
        " tính theo số liệu riêng của từng xã, phường và của tỉnh.",
        "Provinces missing: the province's total misses the target. Units missing counts"
        " each commune and the province on its own figures.",
    ),
    "national.targets.indicator": ("Chỉ tiêu", "Indicator"),
    "national.targets.rule": ("Mục tiêu", "Target"),
    "national.targets.value": ("Cả nước", "Nation"),
    "national.targets.result": ("Kết quả", "Result"),
    "national.targets.units": (
        "Đơn vị đạt / không đạt / chưa đánh giá",
        "Units meeting / missing / not judged",
    ),
    "national.targets.provinces": ("Tỉnh không đạt", "Provinces missing it"),
    "national.targets.met": ("Đạt", "Met"),
    "national.targets.missed": ("Không đạt", "Missed"),
    "national.targets.unjudged": ("Chưa đủ số liệu", "Not enough data"),
    "national.targets.no_province": ("Không có", "None"),
    "national.targets.province_count": ("{count} tỉnh", "{count} provinces"),
    "national.targets.miss": (
        "{value}; {units} đơn vị không đạt",
        "{value}; {units} units missing",
    ),
    "national.targets.empty": ("Báo cáo này không có chỉ tiêu.", "This report has no targets."),
    "national.late.title": ("Tỉnh chậm hoặc chưa nộp", "Provinces late or missing"),
    "national.late.deadlines": (
        "Hạn nộp: cấp xã {commune}; cấp tỉnh {province}.",
        "Deadlines: communes {commune}; provinces {province}.",
    ),
    "national.late.province": ("Tỉnh, thành phố", "Province"),
    "national.late.own": ("Báo cáo của tỉnh", "Province's own report"),
    "national.late.received": ("Thời điểm nhận", "Received"),
    "national.late.submitted": ("Đã nộp / Phải nộp", "Submitted / expected"),
    "national.late.rate": ("Tỷ lệ đầy đủ", "Completeness"),
    "national.late.none": (
        "Tất cả các tỉnh, thành phố đã nộp đủ và đúng hạn.",
        "Every province has submitted in full and on time.",
    ),
    "national.late.total": (
        "Danh sách chậm nộp có cho từng kỳ báo cáo, không có cho kỳ tổng hợp.",
        "Late lists are for each reporting period, not for period totals.",
    ),
    "national.late.count": ("{count} tỉnh, thành phố", "{count} provinces"),
    "national.status.late": ("Trễ hạn", "Late"),
    "national.status.missing": ("Chưa nộp", "Missing"),
    "national.status.on_time": ("Đúng hạn", "On time"),
    "national.trend.title": ("Xu hướng {count} kỳ gần nhất", "The last {count} periods"),
    "national.trend.period": ("Kỳ báo cáo", "Period"),
    "national.trend.rate": ("Tỷ lệ đầy đủ", "Completeness"),
    "national.trend.on_time": ("Tỷ lệ đúng hạn", "On-time rate"),
    "national.trend.submitted": ("Đã nộp / Phải nộp", "Submitted / expected"),
    "national.trend.gap": ("Không có số liệu", "No figures"),
    "live.updated": ("Cập nhật lúc {time}", "Updated at {time}"),
}
