"""Emergency announcements (tin khẩn cấp): aired at once, interrupting, maybe repeated."""
