from duely_invoicing.models import Base
import duely_invoicing.documents.models  # noqa: F401  (these modules' tables join Base.metadata)
import duely_invoicing.logos.models  # noqa: F401
from duely_runtime.migrations import run_env

run_env(Base.metadata)
