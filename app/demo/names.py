"""Word lists for demo data: Vietnamese names, companies, streets, texts."""

SURNAMES = [  # (surname, weight %) roughly as in the population
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4),
    ("Vũ", 4), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 2), ("Dương", 1),
    ("Lý", 1), ("Đinh", 1), ("Trương", 1), ("Lương", 1),
]
MIDDLE_MALE = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Xuân", "Hoàng", "Đình", "Ngọc", "Anh"]
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Kim", "Thanh", "Minh", "Hồng", "Phương", "Bích", "Mỹ"]
GIVEN_MALE = [
    "Hùng", "Dũng", "Tuấn", "Nam", "Hải", "Long", "Quang", "Khoa", "Toàn", "Sơn", "Bình", "Cường", "Đạt",
    "Hiếu", "Khánh", "Phúc", "Quân", "Tâm", "Thắng", "Tú", "Hòa", "Thủy", "Huy", "Trung", "Việt", "Thành",
    "Lộc", "Phong", "Kiên", "Vinh",
]
GIVEN_FEMALE = [
    "Hằng", "Lan", "Hương", "Mai", "Phương", "Trang", "Linh", "Thảo", "Huệ", "Nga", "Loan", "My", "Nhung",
    "Oanh", "Uyên", "Vy", "Yến", "Hoa", "Hòa", "Thủy", "Ngân", "Chi", "Hạnh", "Thư", "Quyên", "Duyên",
    "Giang", "Hà", "Xuân", "Diệp",
]

BRAND_WORDS = [
    "Hòa Bình", "Minh Long", "Phú Thịnh", "An Khang", "Thành Đạt", "Việt Tiến", "Sao Mai", "Hưng Thịnh",
    "Đại Phát", "Trường Sơn", "Hoàng Gia", "Tân Phú", "Kim Ngân", "Thủy Tiên", "Đông Á", "Nam Việt",
    "Ánh Dương", "Bảo Long", "Hải Âu", "Lộc Phát", "Phương Nam", "Thái Hòa", "Quang Minh", "Hồng Hà",
    "Tiến Thành", "Đức Huy", "Gia Phát", "Thuận An", "Mê Kông", "Sông Hồng", "Trí Việt", "Phúc Lộc",
    "Hoàn Cầu", "Toàn Thắng", "Vạn Xuân", "Ngọc Linh", "Bình Minh", "Kỳ Anh", "Song Thủy", "Tràng An",
    "Thiên Phú", "Đất Việt", "Hợp Nhất", "Nhật Quang", "Hòa Phát", "Khánh An", "Trung Kiên", "Hải Đăng",
]

# VSIC section -> words that go in a company's name
INDUSTRY_WORDS = {
    "A": ["Nông nghiệp", "Thủy sản", "Lâm sản"],
    "C": ["Sản xuất", "May mặc", "Cơ khí", "Chế biến thực phẩm", "Nhựa", "Điện tử", "Gỗ", "Bao bì", "Dệt may"],
    "F": ["Xây dựng", "Xây dựng và Thương mại", "Kiến trúc Xây dựng", "Cơ điện"],
    "G": ["Thương mại", "Thương mại Dịch vụ", "Thương mại và Xuất nhập khẩu", "Phân phối"],
    "H": ["Vận tải", "Logistics", "Giao nhận", "Vận tải và Du lịch"],
    "I": ["Nhà hàng", "Khách sạn", "Dịch vụ Ăn uống", "Du lịch"],
    "J": ["Công nghệ", "Truyền thông", "Phần mềm", "Quảng cáo"],
    "K": ["Tư vấn Tài chính", "Bảo hiểm"],
    "L": ["Bất động sản", "Đầu tư Địa ốc"],
    "M": ["Tư vấn", "Thiết kế", "Kế toán", "Tư vấn Kỹ thuật"],
    "N": ["Dịch vụ Bảo vệ", "Vệ sinh Công nghiệp", "Cung ứng Lao động"],
    "P": ["Giáo dục", "Đào tạo"],
    "Q": ["Y tế", "Dược phẩm", "Phòng khám"],
    "S": ["Dịch vụ", "Sửa chữa"],
}
INDUSTRY_WEIGHTS = {"A": 2, "C": 22, "F": 16, "G": 32, "H": 6, "I": 6, "J": 4, "K": 1, "L": 2, "M": 4,
                    "N": 2, "P": 1, "Q": 1, "S": 1}

STREETS = [
    "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung", "Hoàng Diệu",
    "Nguyễn Trãi", "Điện Biên Phủ", "Phan Đình Phùng", "Lê Duẩn", "Hùng Vương", "Võ Thị Sáu", "Pasteur",
    "Nguyễn Thị Minh Khai", "Cách Mạng Tháng Tám", "Tôn Đức Thắng", "Bà Triệu", "Phạm Ngũ Lão", "Lê Thánh Tông",
    "Trường Chinh", "Nguyễn Văn Cừ", "Giải Phóng", "Âu Cơ", "Lạc Long Quân", "Hoàng Quốc Việt", "Xuân Thủy",
    "Nguyễn Chí Thanh", "Lê Văn Sỹ", "Cộng Hòa", "Thống Nhất", "Hòa Bình", "Quốc lộ 1A", "Tỉnh lộ 10",
]

PERSON_TITLES = ["Giám đốc", "Phó Giám đốc", "Trưởng phòng Nhân sự", "Kế toán trưởng", "Chủ doanh nghiệp",
                 "Trưởng phòng Hành chính"]
ISSUING_BODIES = {
    "party": ["Đảng ủy phường {ward}", "Đảng ủy {ward}"],
    "union": ["Công đoàn phường {ward}", "Liên đoàn Lao động {province}"],
    "youth": ["Đoàn phường {ward}", "Đoàn Thanh niên {ward}"],
    "women": ["Hội Liên hiệp Phụ nữ {ward}"],
    "veterans": ["Hội Cựu chiến binh {ward}"],
}
DECISION_SUFFIX = {"party": "QĐ/ĐU", "union": "QĐ-CĐ", "youth": "QĐ/ĐTN", "women": "QĐ-HPN", "veterans": "QĐ-CCB"}

DIFFICULTIES = [
    "Doanh nghiệp ít lao động, chủ doanh nghiệp bận, khó sắp xếp thời gian làm việc.",
    "Người lao động thay đổi thường xuyên, làm theo mùa vụ.",
    "Chủ doanh nghiệp chưa thấy lợi ích của việc thành lập tổ chức.",
    "Chưa đủ số đảng viên chính thức để thành lập chi bộ.",
    "Doanh nghiệp đang khó khăn về đơn hàng, cắt giảm lao động.",
    "Lao động chủ yếu là người ngoại tỉnh, thuê trọ, khó quản lý.",
    "Trụ sở giao dịch và xưởng sản xuất ở hai nơi khác nhau.",
]
PROPOSALS = [
    "Đề nghị phường hỗ trợ thủ tục thành lập công đoàn cơ sở.",
    "Đề nghị tổ chức tập huấn cho cán bộ phụ trách nhân sự.",
    "Mong được giới thiệu nguồn lao động tại địa phương.",
    "Đề nghị hỗ trợ tiếp cận vốn vay ưu đãi.",
    "Đề nghị giới thiệu đảng viên về sinh hoạt tại doanh nghiệp.",
    "Không có kiến nghị.",
]
NEXT_STEPS = [
    "Gặp lại chủ doanh nghiệp để vận động thành lập công đoàn cơ sở.",
    "Hướng dẫn hồ sơ thành lập chi đoàn.",
    "Nắm danh sách đảng viên đang làm việc tại doanh nghiệp.",
    "Phối hợp Liên đoàn Lao động tổ chức đại hội công đoàn.",
    "Tiếp tục theo dõi, nắm tình hình.",
    "Mời chủ doanh nghiệp dự hội nghị đối thoại của phường.",
]
