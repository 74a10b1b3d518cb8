"""Seed the topics with the content items of the yearly CCHC communication plan.

Revision ID: 0002_seed_topics
Revises: 800279ec2af3
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_seed_topics"
down_revision: str | Sequence[str] | None = "800279ec2af3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Seeded in a migration, not by the app, so every station (and every test database) has the
# plan's topics from the first moment; staff may rename them afterwards.
PLAN_TOPICS = [
    (0, "Khác"),
    (
        1,
        "Chủ trương, chính sách của Đảng, pháp luật của Nhà nước về CCHC; "
        "Chương trình tổng thể CCHC giai đoạn 2021-2030",
    ),
    (2, "Vai trò, ý nghĩa của CCHC đối với kinh tế - xã hội; kết quả CCHC"),
    (3, "CCHC và cải thiện môi trường đầu tư, kinh doanh"),
    (4, "Chỉ số PAR INDEX và chỉ số SIPAS"),
    (5, "Gương điển hình, mô hình hay về CCHC; phản ánh về thái độ, hành vi của cán bộ"),
    (6, "Chuyển đổi số, Chính quyền điện tử, Chính quyền số, đô thị thông minh"),
    (7, "Ứng dụng công nghệ thông tin trong giải quyết thủ tục hành chính"),
    (8, "Hướng dẫn sử dụng dịch vụ công trực tuyến, thanh toán trực tuyến; đường dây nóng"),
    (9, "Hệ thống quản lý chất lượng ISO 9001:2015 trong cơ quan hành chính"),
]


def upgrade() -> None:
    topics = sa.table("topics", sa.column("code", sa.Integer), sa.column("name", sa.String))
    op.bulk_insert(topics, [{"code": code, "name": name} for code, name in PLAN_TOPICS])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM topics WHERE code BETWEEN 0 AND 9"))
