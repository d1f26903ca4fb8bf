"""The national pages and their fragments."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
