"""The portals' HTTP door: claims and bank details in over HTTPS, statuses out as signed webhooks."""
