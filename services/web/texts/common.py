"""Texts of the frame every page shares: header, sign-in, errors."""

TEXTS: dict[str, tuple[str, str]] = {
    "app.name": ("Báo cáo", "Baocao"),
    "app.tagline": (
        "Hệ thống báo cáo định kỳ của chính quyền địa phương hai cấp",
        "Periodic reports of Vietnam's two-level local government",
    ),
    "nav.skip": ("Bỏ qua, đến nội dung chính", "Skip to main content"),
    "nav.home": ("Trang chính", "Home"),
    "nav.language": ("English", "Tiếng Việt"),
    "nav.sign_out": ("Đăng xuất", "Sign out"),
    "nav.acting_for": ("Đơn vị: {unit}", "Acting for: {unit}"),
    "sign_in.title": ("Đăng nhập", "Sign in"),
    "sign_in.username": ("Tên đăng nhập", "Username"),
    "sign_in.password": ("Mật khẩu", "Password"),
    "sign_in.submit": ("Đăng nhập", "Sign in"),
    "sign_in.wrong_credentials": (
        "Tên đăng nhập hoặc mật khẩu không đúng.",
        "Wrong username or password.",
    ),
    "sign_in.paused": (
        "Đăng nhập sai nhiều lần. Vui lòng thử lại sau {time}.",
        "Too many failed sign-ins. Try again after {time}.",
    ),
    "sign_in.expired_form": (
        "Biểu mẫu đã hết hạn, vui lòng đăng nhập lại.",
        "The form expired; please sign in again.",
    ),
    "sign_in.local_off": (
        "Đăng nhập bằng tài khoản cục bộ đã tắt; hãy dùng tài khoản định danh.",
        "Local accounts are turned off; sign in with your organisation.",
    ),
    "sign_in.or": ("hoặc", "or"),
    "sign_in.oidc": ("Đăng nhập bằng tài khoản định danh", "Sign in with your organisation"),
    "error.title": ("Không thực hiện được", "Not possible"),
    "error.403": (
        "Bạn không có quyền xem hoặc thao tác với nội dung này.",
        "You may not see or act on this.",
    ),
    "error.404": ("Không tìm thấy nội dung.", "Not found."),
    "error.503": (
        "Hệ thống đang bận hoặc mất kết nối. Vui lòng thử lại sau ít phút.",
        "A service is unavailable. Please try again in a few minutes.",
    ),
    "error.csrf": (
        "Phiên làm việc đã thay đổi; vui lòng tải lại trang và thử lại.",
        "Your session changed; reload the page and try again.",
    ),
    "error.reason": ("Mã lỗi: {reason}", "Reason: {reason}"),
    "error.back": ("Quay lại trang chính", "Back to the home page"),
    "period.label": ("Kỳ báo cáo", "Period"),
    "report_type.label": ("Loại báo cáo", "Report type"),
    "action.show": ("Xem", "Show"),
    "export.title": ("Tải dữ liệu", "Download"),
    "export.csv": ("CSV", "CSV"),
    "export.sdmx": ("SDMX-JSON", "SDMX-JSON"),
    "export.dhis2": ("DHIS2 dataValueSet", "DHIS2 dataValueSet"),
    "live.on": ("Cập nhật trực tiếp", "Live"),
}
