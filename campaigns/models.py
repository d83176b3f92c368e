# Campaigns (welcome bonus, birthday, win-back, referrals, category boosts) arrive in a later issue.
# The app is installed now so that its migrations and permissions have a home from the start.
