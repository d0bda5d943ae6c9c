"""Orders, returns, payments and purchase history: the financial administration.

Payments are tokenised by the payment provider: no full card number is ever
stored, only the provider's token, the brand and the last four digits. The IBAN
is vault ciphertext under the subject's financial key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from trackguard.store.base import Base, new_id, operational, personal, subject_link
from trackguard.store.types import UTCDateTime


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = subject_link("customer_id", key_class="financial")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    order_number: Mapped[str] = operational(String(30), unique=True)
    placed_at: Mapped[datetime] = personal("user.behavior.purchase_history", UTCDateTime())
    status: Mapped[str] = operational(String(20))
    total_cents: Mapped[int] = personal("user.behavior.purchase_history", Integer)
    currency: Mapped[str] = operational(String(3), default="EUR")
    shipping_address: Mapped[bytes | None] = personal(
        "user.contact.address", LargeBinary, encrypted=True
    )


class ReturnRequest(Base):
    __tablename__ = "returns"
    __table_args__ = subject_link("customer_id", key_class="financial")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    requested_at: Mapped[datetime] = personal("user.behavior.purchase_history", UTCDateTime())
    reason: Mapped[bytes | None] = personal("user.content.private", LargeBinary, encrypted=True)
    status: Mapped[str] = operational(String(20))
    refunded_cents: Mapped[int] = personal("user.behavior.purchase_history", Integer, default=0)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = subject_link("customer_id", key_class="financial")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    order_id: Mapped[str | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    paid_at: Mapped[datetime] = personal("user.behavior.purchase_history", UTCDateTime())
    amount_cents: Mapped[int] = personal("user.behavior.purchase_history", Integer)
    method: Mapped[str] = operational(String(20))
    provider: Mapped[str] = operational(String(40))
    provider_token: Mapped[str | None] = personal("user.financial.credit_card", String(100))
    card_brand: Mapped[str | None] = personal("user.financial.credit_card", String(20))
    card_last4: Mapped[str | None] = personal("user.financial.credit_card", String(4))
    iban: Mapped[bytes | None] = personal(
        "user.financial.bank_account", LargeBinary, encrypted=True
    )


class Purchase(Base):
    """One line of a customer's purchase history (product bought, when, how many)."""

    __tablename__ = "purchases"
    __table_args__ = subject_link("customer_id", key_class="financial")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    order_id: Mapped[str | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    purchased_at: Mapped[datetime] = personal("user.behavior.purchase_history", UTCDateTime())
    product_sku: Mapped[str] = personal("user.behavior.purchase_history", String(40))
    product_name: Mapped[str] = personal("user.behavior.purchase_history", String(120))
    quantity: Mapped[int] = personal("user.behavior.purchase_history", Integer, default=1)
    price_cents: Mapped[int] = personal("user.behavior.purchase_history", Integer)
