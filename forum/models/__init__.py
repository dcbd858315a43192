from forum.models.groups import Membership, Role, WorkingGroup

__all__ = ["Membership", "Role", "WorkingGroup"]
