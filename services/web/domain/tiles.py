"""Where each of the 34 provinces sits on the national tile map: pure data.

No package has the provinces' shapes after the 1 July 2025 merger (ADR 0021), so the map is a
tile-grid cartogram placed by hand: one tile per province, rows north to south, columns west to
east, each tile next to its real neighbours as far as a grid allows. A unit test holds the keys
to the registry's province codes.
"""

from __future__ import annotations

ROWS = 16
COLUMNS = 6

# code -> (row, column), both from 0.
TILES: dict[str, tuple[int, int]] = {
    # The northern mountains, west to east along the border.
    "12": (0, 1),  # Lai Châu
    "15": (0, 2),  # Lào Cai
    "08": (0, 3),  # Tuyên Quang
    "04": (0, 4),  # Cao Bằng
    "11": (1, 0),  # Điện Biên
    "14": (1, 1),  # Sơn La
    "25": (1, 2),  # Phú Thọ
    "19": (1, 3),  # Thái Nguyên
    "20": (1, 4),  # Lạng Sơn
    # The Red River delta and the north-east coast.
    "01": (2, 2),  # Hà Nội
    "24": (2, 3),  # Bắc Ninh
    "22": (2, 5),  # Quảng Ninh
    "37": (3, 2),  # Ninh Bình
    "33": (3, 3),  # Hưng Yên
    "31": (3, 4),  # Hải Phòng
    # The north-central and central coast, running south-east.
    "38": (4, 2),  # Thanh Hóa
    "40": (5, 2),  # Nghệ An
    "42": (5, 3),  # Hà Tĩnh
    "44": (6, 3),  # Quảng Trị
    "46": (6, 4),  # Huế
    "48": (7, 4),  # Đà Nẵng
    "51": (8, 4),  # Quảng Ngãi
    # The Central Highlands with the south-central coast.
    "52": (9, 4),  # Gia Lai
    "66": (10, 4),  # Đắk Lắk
    "68": (11, 4),  # Lâm Đồng
    "56": (11, 5),  # Khánh Hòa
    # The south-east and the Mekong delta.
    "80": (12, 2),  # Tây Ninh
    "75": (12, 3),  # Đồng Nai
    "91": (13, 1),  # An Giang
    "82": (13, 2),  # Đồng Tháp
    "79": (13, 3),  # TP Hồ Chí Minh
    "92": (14, 1),  # Cần Thơ
    "86": (14, 2),  # Vĩnh Long
    "96": (15, 1),  # Cà Mau
}

# Names too long for a tile; any other tile drops "Thành phố ".
SHORT_NAMES: dict[str, str] = {"79": "TP HCM"}


def short_name(code: str, name: str) -> str:
    """The name a tile shows: Thành phố Hà Nội -> Hà Nội, Thành phố Hồ Chí Minh -> TP HCM."""
    if code in SHORT_NAMES:
        return SHORT_NAMES[code]
    return name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
