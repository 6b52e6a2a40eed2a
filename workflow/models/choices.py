"""Reference lists from the law: content types (NĐ 45/2012 Điều 4, with the lines that carry their own
spending cap: one content type per line of TT 28/2018/TT-BTC and TTLT 26/2014, domain.md §5.2), sectors (NĐ 45
Điều 5), funding sources, and what a cap's percentage is taken of."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ContentType(models.TextChoices):
    # (NĐ 45 Điều 4 group) short label
    TRAINING = "training", _("1. Đào tạo nghề, truyền nghề")
    MANAGEMENT = "management", _("2. Nâng cao năng lực quản lý, tập huấn, hội thảo, khởi sự doanh nghiệp")
    ENTERPRISE_SETUP = "enterprise_setup", _("2. Hỗ trợ thành lập doanh nghiệp ở địa bàn khó khăn")
    DEMONSTRATION = "demonstration", _("3. Mô hình trình diễn kỹ thuật sản xuất sản phẩm mới, công nghệ mới")
    REPLICATION_MODEL = "replication_model", _("3. Mô hình trình diễn tại cơ sở đang sản xuất có hiệu quả")
    MACHINERY = "machinery", _("3. Ứng dụng máy móc thiết bị tiên tiến, chuyển giao công nghệ")
    CLEANER_PRODUCTION = "cleaner_production", _("3. Mô hình thí điểm sản xuất sạch hơn")
    # Product awards: one content type per round level (TT 28/2018: khu vực ≤ 200, quốc gia ≤ 400 trđ a round;
    # the provincial round's cap is the HĐND's). "typical_product" was the one award line before 0008.
    TYPICAL_PRODUCT = "typical_product", _("4. Bình chọn sản phẩm công nghiệp nông thôn tiêu biểu cấp tỉnh")
    TYPICAL_PRODUCT_REGION = (
        "typical_product_region",
        _("4. Bình chọn sản phẩm công nghiệp nông thôn tiêu biểu cấp khu vực"),
    )
    TYPICAL_PRODUCT_NATION = (
        "typical_product_nation",
        _("4. Bình chọn sản phẩm công nghiệp nông thôn tiêu biểu cấp quốc gia"),
    )
    # Fairs: a domestic fair's participants (80 % of the booth rent) and organiser (100 %), overseas fairs (100 %,
    # at most twice a year per cơ sở). "fair" was the one fair line before 0008.
    FAIR = "fair", _("4. Hỗ trợ cơ sở tham gia hội chợ triển lãm trong nước")
    FAIR_ORGANISER = "fair_organiser", _("4. Tổ chức hội chợ triển lãm trong nước")
    FAIR_OVERSEAS = "fair_overseas", _("4. Tổ chức, tham gia hội chợ triển lãm ở nước ngoài")
    BRAND = "brand", _("4. Xây dựng, đăng ký thương hiệu")
    CONSULTANCY = "consultancy", _("5. Tư vấn, trợ giúp cơ sở công nghiệp nông thôn")
    MEDIA = "media", _("6. Thông tin tuyên truyền")
    # Associations (≤ 30 %: khu vực ≤ 70, quốc gia ≤ 100 trđ) apart from linkage clusters (≤ 50 %, ≤ 150 trđ).
    # "association" was the one line for both before 0008.
    ASSOCIATION = "association", _("7. Thành lập hiệp hội, hội ngành nghề cấp khu vực, địa phương")
    ASSOCIATION_NATIONAL = "association_national", _("7. Thành lập hiệp hội, hội ngành nghề cấp quốc gia")
    LINKAGE_CLUSTER = "linkage_cluster", _("7. Thành lập cụm liên kết doanh nghiệp công nghiệp")
    POLLUTION_TREATMENT = "pollution_treatment", _("7. Sửa chữa, nâng cấp hệ thống xử lý ô nhiễm tại cơ sở")
    CCN_POLLUTION = "ccn_pollution", _("7. Hệ thống xử lý ô nhiễm tại cụm công nghiệp")
    CCN_PLANNING = "ccn_planning", _("7. Lập quy hoạch chi tiết cụm công nghiệp")
    CCN_INFRASTRUCTURE = "ccn_infrastructure", _("7. Đầu tư hạ tầng cụm công nghiệp")
    RELOCATION_INTEREST = (
        "relocation_interest",
        _("7. Hỗ trợ lãi suất vốn vay di dời cơ sở gây ô nhiễm môi trường"),
    )
    INTERNATIONAL = "international", _("8. Hợp tác quốc tế về khuyến công")
    DIGITAL = "digital", _("Chuyển đổi số, sản xuất và tiêu dùng bền vững (NĐ 235/2025)")
    CAPACITY = "capacity", _("9. Nâng cao năng lực tổ chức thực hiện hoạt động khuyến công")
    # Management overhead, capped as a share of other đề án's money (CapBasis below).
    OVERHEAD_AGENCY = (
        "overhead_agency",
        _("9. Chi quản lý chương trình, kế hoạch khuyến công của cơ quan quản lý"),
    )
    OVERHEAD_UNIT = "overhead_unit", _("9. Chi quản lý đề án của đơn vị thực hiện")


class CapBasis(models.TextChoices):
    """What a cap's percentage is taken of (the words complete "vượt 50 % …" in the lodging check)."""

    PROJECT = "project", _("tổng kinh phí đề án")
    # The year's khuyến công funds of the province in the đề án's funding source: the support asked by the
    # province's other đề án of the plan year that are lodged or further (not drafts, rejected or withdrawn).
    PROVINCE_YEAR = "province_year", _("tổng kinh phí khuyến công của tỉnh trong năm kế hoạch, cùng nguồn")
    # The estimates (every source) of the implementing unit's other đề án of the plan year, lodged or further.
    UNIT_YEAR = "unit_year", _("tổng dự toán các đề án của đơn vị thực hiện trong năm kế hoạch")


class Sector(models.TextChoices):
    AGRO_PROCESSING = "a", _("a) Chế biến nông, lâm, thủy sản và chế biến thực phẩm")
    CONSUMER_GOODS = (
        "b",
        _("b) Sản xuất hàng công nghiệp phục vụ tiêu dùng, xuất khẩu, thay thế hàng nhập khẩu"),
    )
    CHEMICALS_MATERIALS = "c", _("c) Hóa chất phục vụ nông nghiệp; vật liệu xây dựng")
    MECHANICAL = "d", _("d) Cơ khí, điện, điện tử – tin học; công nghiệp hỗ trợ")
    HANDICRAFT = "dd", _("đ) Sản xuất sản phẩm tiểu thủ công nghiệp")
    MINING = "e", _("e) Khai thác, chế biến khoáng sản ở địa bàn khó khăn")
    CLEANER = "g", _("g) Sản xuất sạch hơn; xử lý ô nhiễm môi trường")


class BrickKilnTechnology(models.TextChoices):
    """The applicant's declaration about fired-clay bricks: TT 46/2012/TT-BCT Điều 5 excludes kilns of the improved
    manual and the Hoffmann (lò vòng) kind, which pollute (workflow/eligibility.py)."""

    NONE = "none", _("Không sản xuất gạch đất sét nung")
    UNFIRED = "unfired", _("Sản xuất gạch không nung")
    TUNNEL = "tunnel", _("Gạch nung bằng lò tuynel")
    HOFFMANN = "hoffmann", _("Gạch nung bằng lò vòng (Hoffmann)")
    MANUAL_IMPROVED = "manual_improved", _("Gạch nung bằng lò thủ công cải tiến")


class FundingKind(models.TextChoices):
    NATIONAL = "national", _("Khuyến công quốc gia")
    LOCAL = "local", _("Khuyến công địa phương")


class FundingSource(models.TextChoices):
    NATIONAL = "national", _("Kinh phí khuyến công quốc gia")
    LOCAL = "local", _("Kinh phí khuyến công địa phương")
    COUNTERPART = "counterpart", _("Vốn đối ứng và nguồn khác")


class AttachmentKind(models.TextChoices):
    COVER_LETTER = "cover_letter", _("Công văn đề nghị")
    SUPPORT_REQUEST = "support_request", _("Văn bản đề nghị hỗ trợ của đơn vị thụ hưởng")
    BUSINESS_REGISTRATION = "business_registration", _("Giấy chứng nhận đăng ký kinh doanh")
    BALANCE_SHEET = "balance_sheet", _("Bảng cân đối kế toán")
    QUOTE = "quote", _("Báo giá, thông số kỹ thuật máy móc thiết bị")
    COUNTERPART_COMMITMENT = "counterpart_commitment", _("Cam kết vốn đối ứng, không trùng lặp hỗ trợ")
    TRAINING_PLAN = "training_plan", _("Chương trình, kế hoạch đào tạo")
    OTHER = "other", _("Tài liệu khác")
    # The ministry side's documents on the national track (the Cục's appraisal, the Minister's decision, the
    # contract, the liquidation minutes), attached at the step that records them; never the applicant's.
    MINISTRY_DOCUMENT = "ministry_document", _("Văn bản của Bộ Công Thương")


# What an applicant may upload to its own dossier.
APPLICANT_KINDS = [
    (value, label) for value, label in AttachmentKind.choices if value != AttachmentKind.MINISTRY_DOCUMENT
]
