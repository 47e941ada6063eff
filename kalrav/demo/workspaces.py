"""The demo's people and brands: two workspaces, a member for every role, a filled-in brand
profile."""

from __future__ import annotations

from kalrav.accounts.models import User
from kalrav.workspaces import services
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member, Workspace
from kalrav.workspaces.permissions import Role

DEMO_EMAIL = "demo@kalrav.local"
DEMO_PASSWORD = "kalrav-demo"  # noqa: S105 - printed by `kalrav demo`; demo data only

TEA_HOUSE_BRAND = {
    "mission": "Bring honest, freshly brewed tea from small Assam and Darjeeling gardens to every neighbourhood in Kolkata, Ahmedabad and Athens.",
    "vision": "The tea house people recommend to a friend without being asked: known for the taste, the welcome and a quick answer.",
    "history": "Opened in 2014 as one stall near Gariahat market; twelve cafés and an online shop today. The first blend, 'Bhorer Cha', is still our best seller.",
    "values": "Fair prices to growers. No shortcuts on freshness. Every customer answered, the same day.",
    "voice": "Warm, local and plain-spoken; a little playful, never sarcastic. Bengali, Hindi, Gujarati and Greek where the customers are, English everywhere. No hard selling.",
    "audience": "Students and office workers aged 18-35 in our three cities, tea lovers abroad who buy online, and families on weekends.",
    "strengths": "Loyal local following; award-winning house blends; staff who know customers by name.",
    "weaknesses": "Slow online delivery outside Kolkata; small marketing budget; little video content so far.",
    "opportunities": "Festival seasons (Durga Puja, Navratri, Easter) for limited blends; growing interest in healthy drinks; partnerships with local bakeries.",
    "threats": "International coffee chains opening nearby; rising tea prices after a poor harvest; a single viral complaint about delivery.",
    "banned_words": ["cheapest", "guaranteed cure", "miracle"],
    "required_hashtags": ["#ShantiTea"],
    "network_notes": {
        "instagram": "Lead with the photo; first line must work without 'more'.",
        "x": "One idea per post; answer complaints within 10 minutes.",
        "facebook": "Longer stories from the gardens; events for café openings.",
    },
}

TRAVEL_BRAND = {
    "mission": "Ταξίδια στα νησιά του Αιγαίου με σεβασμό στους ντόπιους και στη φύση.",
    "vision": "Το πρώτο όνομα που σκέφτεται κανείς για ήσυχες διακοπές στις Κυκλάδες.",
    "voice": "Φιλικό, ζεστό, με σύντομες προτάσεις. Χωρίς υπερβολές.",
    "banned_words": ["φθηνότερο"],
    "required_hashtags": ["#AegeanCalm"],
}

ROLES_TO_SHOW = [Role.MANAGER, Role.EDITOR, Role.AGENT, Role.ANALYST, Role.CLIENT]


def _user(email: str, first: str, last: str, language: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, DEMO_PASSWORD, first_name=first, last_name=last, language=language
        )
    return user


def _workspace(
    owner: User, name: str, slug: str, time_zone: str, language: str, brand: dict
) -> Workspace:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        workspace = services.create_workspace(
            owner,
            Actor(user=owner, via="command"),
            name=name,
            time_zone=time_zone,
            language=language,
        )
        Workspace.objects.filter(pk=workspace.pk).update(slug=slug)
        workspace.refresh_from_db()
        member = Member.objects.get(workspace=workspace, user=owner)
        services.update_brand_profile(member, Actor(user=owner, via="command"), **brand)
    return workspace


def load_workspaces() -> tuple[User, list[Workspace]]:
    """The demo login and its two workspaces, made unless they are there already."""
    demo = _user(DEMO_EMAIL, "Mitali", "Sen", "en")
    tea = _workspace(demo, "Shanti Tea House", "shanti-tea", "Asia/Kolkata", "en", TEA_HOUSE_BRAND)
    travel = _workspace(
        demo, "Aegean Calm Travel", "aegean-calm", "Europe/Athens", "el", TRAVEL_BRAND
    )
    people = {
        Role.MANAGER: ("Arjun", "Mehta", "hi"),
        Role.EDITOR: ("Dhruvi", "Patel", "gu"),
        Role.AGENT: ("Rahim", "Uddin", "bn"),
        Role.ANALYST: ("Eleni", "Papadopoulou", "el"),
        Role.CLIENT: ("Client", "Reviewer", "en"),
    }
    for role in ROLES_TO_SHOW:
        first, last, language = people[role]
        user = _user(f"{role.value}@kalrav.local", first, last, language)
        Member.objects.get_or_create(workspace=tea, user=user, defaults={"role": role})
    return demo, [tea, travel]
