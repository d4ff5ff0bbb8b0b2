from duely_invoicing.models import Base
import duely_invoicing.documents.models  # noqa: F401  (its table joins Base.metadata)
from duely_runtime.migrations import run_env

run_env(Base.metadata)
