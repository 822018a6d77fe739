"""A policy page as staff last saved it; a page never saved reads its default (shop.pages.defaults)."""
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base, utcnow


class PolicyPage(Base):
    __tablename__ = "policy_pages"
    # The sitemap lists the pages with their last change, and it is kept with the catalogue.
    __affects_catalogue__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
