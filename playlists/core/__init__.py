"""What every area of the domain shares: the database, settings, errors and the clock."""
